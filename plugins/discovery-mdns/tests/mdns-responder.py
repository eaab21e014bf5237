#!/usr/bin/python3
"""An independent mDNS responder for the discovery-mdns tests: Debian's python3-zeroconf announces
one DNS-SD service on 127.0.0.1 (run it only inside the network namespace the test creates).

Usage: mdns-responder.py --name NAME --port PORT [--type _mcp._tcp] [--ttl SECONDS] [TXT key=value ...]
Prints "registered" once the service is announced. Commands on stdin, one per line:
  unregister   withdraw the service (goodbye packets, TTL 0) and print "unregistered"
  exit         close and exit
SIGKILL leaves without a goodbye, so browsers only lose the service when its TTL expires."""
import argparse
import socket
import sys

from zeroconf import IPVersion, ServiceInfo, Zeroconf


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--type", default="_mcp._tcp")
    parser.add_argument("--ttl", type=int, default=120)
    parser.add_argument("--host", default="mc-test-responder.local.")
    parser.add_argument("txt", nargs="*")
    args = parser.parse_args()

    service_type = args.type.rstrip(".") + ".local."
    properties = dict(item.split("=", 1) for item in args.txt)
    info = ServiceInfo(
        service_type,
        f"{args.name}.{service_type}",
        port=args.port,
        properties=properties,
        server=args.host,
        addresses=[socket.inet_aton("127.0.0.1")],
        host_ttl=args.ttl,
        other_ttl=args.ttl,
    )
    zc = Zeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
    zc.register_service(info)
    print("registered", flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "unregister":
            zc.unregister_service(info)
            print("unregistered", flush=True)
        elif command == "exit":
            break
    zc.close()


if __name__ == "__main__":
    main()
