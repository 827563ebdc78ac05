"""GPS: gpsd, serial NMEA, web and virtual GPS; the best location; locations on packets."""
