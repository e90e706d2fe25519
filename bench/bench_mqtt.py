"""What publishing to MQTT costs per telegram, next to parsing the same telegram.

Run from the repository root::

    python bench/bench_mqtt.py            # the full run
    python bench/bench_mqtt.py --quick    # fewer telegrams, for a smoke test

Part 1 (in-process, no broker): a stream from the built-in simulated NL 5 meter, every
telegram different from the one before as on a real line. It times ``parse`` alone and
``parse`` + the MQTT messages (``state_messages``: one topic per reading and the
telegram's JSON), so the mapping's cost reads as a multiple of the parse.

Part 2 (needs ``mosquitto``): the publisher thread with a real broker on a free loopback
port, handed RATE telegrams a second (a DSMR 5 meter sends one); the clock stops when a
subscriber has the last telegram. It reports the process's CPU time per telegram
(publisher, paho's thread and the subscriber), the figure to hold against one telegram a
second on a Raspberry Pi, and any message the publisher had to drop (there should be none).
"""

from __future__ import annotations

import argparse
import logging
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from mqtt_helpers import Broker, received  # noqa: E402

from p1tui.dsmr import Framer, parse  # noqa: E402
from p1tui.mqtt import MeterTopics, MqttPublisher, from_section  # noqa: E402
from p1tui.mqtt.readings import meter_level, state_messages  # noqa: E402
from p1tui.sim.simulator import Simulator  # noqa: E402

START = 1_700_000_000
RATE = 200


def stream(count: int) -> list[bytes]:
    meter = Simulator("nl5", seed=1, start=START)
    return [meter.next_telegram() for _ in range(count)]


def frames_of(telegrams: list[bytes]) -> list:
    framer = Framer()
    return [frame for data in telegrams for frame in framer.feed(data)]


def per_telegram(run, count: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        begin = time.perf_counter()
        run()
        best = min(best, (time.perf_counter() - begin) / count)
    return best


def part1(telegrams: list[bytes], repeats: int) -> None:
    frames = frames_of(telegrams)
    topics = MeterTopics("p1tui", meter_level(parse(frames[0]), None))

    def parse_only() -> None:
        for frame in frames:
            parse(frame)

    def parse_and_map() -> None:
        for frame in frames:
            state_messages(parse(frame), frame, topics)

    alone = per_telegram(parse_only, len(frames), repeats)
    mapped = per_telegram(parse_and_map, len(frames), repeats)
    print(f"part 1: {len(frames)} simulated NL 5 telegrams, best of {repeats}")
    print(f"  parse                  {alone * 1e6:8.1f} us/telegram")
    print(f"  parse + MQTT messages  {mapped * 1e6:8.1f} us/telegram")
    extra = mapped - alone
    print(f"  the MQTT messages      {extra * 1e6:8.1f} us = {extra / alone:.2f}x parse")


def part2(telegrams: list[bytes]) -> None:
    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        print("part 2: skipped (no mosquitto)")
        return
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    events = [received(data) for data in telegrams]
    last = events[-1]
    topics = MeterTopics("p1tui", meter_level(last.telegram, None))
    with tempfile.TemporaryDirectory() as directory:
        broker = Broker(Path(directory))
        broker.start()
        done = threading.Event()
        expected = state_messages(last.telegram, last.frame, topics)[topics.telegram]
        subscriber = mqtt.Client(CallbackAPIVersion.VERSION2)
        subscriber.on_message = lambda _c, _u, m: (
            done.set() if m.payload.decode() == expected else None
        )
        subscriber.connect("127.0.0.1", broker.port)
        subscriber.subscribe(topics.telegram)
        subscriber.loop_start()
        publisher = MqttPublisher(from_section({"url": broker.url}), maxsize=len(events))
        publisher.put(events[0])
        publisher.start()
        while not publisher.connected:
            time.sleep(0.01)
        cpu = resource.getrusage(resource.RUSAGE_SELF)
        begin = time.perf_counter()
        for i, event in enumerate(events[1:], 1):
            publisher.put(event)
            time.sleep(max(0.0, begin + i / RATE - time.perf_counter()))
        done.wait(300)
        elapsed = time.perf_counter() - begin
        used = resource.getrusage(resource.RUSAGE_SELF)
        publisher.stop()
        subscriber.loop_stop()
        broker.stop()
    seconds = (used.ru_utime - cpu.ru_utime) + (used.ru_stime - cpu.ru_stime)
    n = len(events) - 1
    print(f"part 2: {n} telegrams through the publisher to Mosquitto on 127.0.0.1")
    print(f"  {n / elapsed:,.0f} telegrams/s handed in; {publisher.published:,} messages sent,")
    print(f"  {publisher.dropped_messages} dropped, {publisher.dropped} telegrams skipped")
    print(f"  CPU {seconds / n * 1e3:.3f} ms per telegram (this process, subscriber included)")
    print(f"  = {seconds / n * 100:.2f}% of one core at one telegram a second")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    quick = parser.parse_args().quick
    logging.basicConfig(level=logging.WARNING, format="  log: %(message)s")
    telegrams = stream(500 if quick else 5000)
    part1(telegrams, 2 if quick else 5)
    part2(telegrams)


if __name__ == "__main__":
    main()
