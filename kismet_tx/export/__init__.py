"""Exporters: the server's records out to message brokers (AMQP, MQTT), and aggregate mode."""
