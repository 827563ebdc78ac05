"""A remote capture helper built on PyPI's ``kismetexternal`` (Kismet's own Python API).

Run as ``python kismetexternal_helper.py HOST:PORT CAPTURE UUID``: it connects,
announces a ``pcapfile`` source, and when the server opens it streams every
frame of CAPTURE as KDSDATAREPORT, then prints ``SENT <n>`` and stays connected.
kismetexternal 2020.7.1's generated protobuf modules predate protobuf 4, so
this runs with ``PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python``.
"""

from __future__ import annotations

import asyncio
import sys

import kismetexternal
import pcapy
from kismetexternal import datasource_pb2


def main() -> None:
    remote, capture, uuid = sys.argv[1:4]
    helper = kismetexternal.Datasource(remote=remote)
    reader = pcapy.open_offline(capture)
    dlt = reader.datalink()

    async def replay() -> None:
        sent = 0
        while True:
            header, data = reader.next()
            if header is None:
                break
            sec, usec = header.getts()
            packet = datasource_pb2.SubPacket(time_sec=sec, time_usec=usec, dlt=dlt,
                                              size=header.getlen(), data=data)
            helper.send_datasource_data_report(full_packet=packet)
            sent += 1
            if sent % 200 == 0:
                await helper.ext_writer.drain()
        helper.send_message(f"kismetexternal replay done: {sent} frames")
        await helper.ext_writer.drain()
        print(f"SENT {sent}", flush=True)

    def opensource(source: str, options: dict) -> dict:
        helper.add_task(replay)
        return {"success": True, "dlt": dlt, "capture_interface": source,
                "hardware": "kismetexternal", "uuid": uuid}

    helper.set_opensource_cb(opensource)
    if helper.start() < 0:
        sys.exit(1)
    helper.send_datasource_newsource(f"{capture}:name=kismetexternal", "pcapfile", uuid)
    print("CONNECTED", flush=True)
    helper.run()


if __name__ == "__main__":
    asyncio.set_event_loop(asyncio.new_event_loop())
    main()
