"""The built-in meter: a household, its meters, and the telegrams they send.

:class:`Simulator` advances simulated time one telegram period at a time and writes a
telegram whenever the meter has power. It knows nothing about wall-clock time: pacing
is :mod:`.pacing`'s job, so the same object serves the live demo source, the
``simulate`` command and tests that want a day of telegrams in a few seconds.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..link.settings import SimulatorSettings
from .household import Household
from .legal_time import Moment, moment, parse_iso
from .mbus import MBusChannel, MBusMeter
from .meter import ElectricityMeter, FailureEntry
from .outages import OutageRates, Outages
from .peak import PeakDemand
from .randomness import random_stream
from .telegram import Snapshot, hex_id
from .variants import VARIANTS, VariantProfile

if TYPE_CHECKING:
    from ..dsmr.dlms import MeterKeys

GAS, WATER = 3, 7
"""EN 13757-3 device types on the M-Bus channels 1 and 2."""


def _equipment_id(rng: random.Random, prefix: str, length: int) -> str:
    digits = "".join(rng.choice("0123456789") for _ in range(length - len(prefix)))
    return hex_id(prefix + digits)


def _past_failures(rng: random.Random, start: int, count: int) -> list[FailureEntry]:
    """Long failures from the meter's past (oldest first): the log a new user sees."""
    ends = sorted(
        start - rng.randint(2, 1000) * 86400 - rng.randint(0, 86399) for _ in range(count)
    )
    return [FailureEntry(moment(end), rng.randint(190, 9000)) for end in ends]


class Simulator:
    """A meter that produces one telegram per :meth:`next_telegram` call."""

    def __init__(
        self,
        variant: str = "nl5",
        seed: int = 1,
        start: int | None = None,
        water: bool = True,
        outage_rates: OutageRates | None = None,
        *,
        keys: MeterKeys | None = None,
    ) -> None:
        """``start`` is UTC epoch seconds (None: now), rounded down to the period.

        With ``keys`` the meter encrypts every telegram as a Smarty does (security 0x30).
        """
        try:
            profile: VariantProfile = VARIANTS[variant]
        except KeyError:
            known = ", ".join(VARIANTS)
            raise ValueError(f"unknown meter variant {variant!r} (known: {known})") from None
        self.profile = profile
        period = profile.period_s
        first = int(time.time() if start is None else start)
        first -= first % period

        setup = random_stream(seed, "meter-setup")
        self.household = Household(seed, profile.site)
        self.meter = ElectricityMeter(
            setup, random_stream(seed, "meter-events"), profile.tariff_of, profile.power_step_w
        )
        self.meter.failure_log = _past_failures(
            setup, first, min(self.meter.long_failures, setup.randint(1, 3))
        )
        e_prefix, gas_prefix, water_prefix = profile.id_prefixes
        capture_offset = setup.randint(1, 9) if period == 1 else 0

        def device(
            channel: int, kind: int, prefix: str, low_m3: float, high_m3: float
        ) -> MBusMeter:
            identity = MBusChannel(channel, kind, _equipment_id(setup, prefix, profile.id_length))
            litres = setup.uniform(low_m3, high_m3) * 1000
            return MBusMeter(identity, litres, profile.mbus_capture_s, capture_offset, first)

        devices = [device(1, GAS, gas_prefix, 800, 6000)]
        if water and profile.water:
            devices.append(device(2, WATER, water_prefix, 100, 900))
        self.mbus = tuple(devices)
        self._equipment_id = _equipment_id(setup, e_prefix, profile.id_length)
        self.now: Moment = moment(first)
        self.peak = (
            PeakDemand(random_stream(seed, "peak"), self.now) if profile.name == "be" else None
        )
        self._outages = Outages(
            random_stream(seed, "outages"), outage_rates or OutageRates(), first
        )
        self._started = False
        self._encryption = None if keys is None else _Encryption(keys, seed, profile.header)

    @property
    def period_s(self) -> int:
        return self.profile.period_s

    def advance(self) -> bool:
        """Move to the next telegram period; False while the meter has no power."""
        if self._started:
            dt = self.profile.period_s
            m = self.now = moment(self.now.t + dt)
        else:
            dt, m = 0, self.now
            self._started = True
        outages = self._outages
        ended = outages.restored(m.t)
        if ended is not None:
            self.meter.power_restored(moment(ended[0]), ended[1])
        powered = outages.powered(m.t)
        flows = self.household.step(m, dt, powered)
        self.meter.measure(m, dt, flows.load_w, flows.solar_w)
        gas = self.mbus[0]
        gas.add(flows.gas_litres, m, capture=powered)
        if len(self.mbus) > 1:
            self.mbus[1].add(flows.water_litres, m, capture=powered)
        if self.peak is not None:
            self.peak.add(m, dt, self.meter.import_w)
        return powered

    def telegram(self) -> bytes:
        """The telegram for the current moment."""
        snapshot = Snapshot(
            self.now, self.profile.header, self._equipment_id, self.meter, self.mbus, self.peak
        )
        return self.profile.write(snapshot)

    def next_telegram(self) -> bytes:
        """Advance to the next moment the meter sends, and return that telegram."""
        while not self.advance():
            pass
        telegram = self.telegram()
        return telegram if self._encryption is None else self._encryption.frame(telegram)


class _Encryption:
    """What an encrypting meter adds: its system title and a frame counter that counts up."""

    def __init__(self, keys: MeterKeys, seed: int, header: str) -> None:
        from ..dsmr.decryptor import encrypt_frame  # noqa: PLC0415 (cryptography when asked)

        self._encrypt = encrypt_frame
        self._keys = keys
        rng = random_stream(seed, "encryption")
        # DLMS convention: the manufacturer's three letters, then five bytes of serial.
        self.system_title = header[1:4].upper().encode("ascii") + rng.randbytes(5)
        self.frame_counter = rng.randint(1, 1 << 24)

    def frame(self, telegram: bytes) -> bytes:
        self.frame_counter += 1
        return self._encrypt(telegram, self._keys, self.system_title, self.frame_counter)


def simulator_for(settings: SimulatorSettings) -> Simulator:
    """A simulator configured by the app's settings; ValueError on a bad start or variant."""
    start = None if settings.start is None else parse_iso(settings.start)
    return Simulator(settings.variant, settings.seed, start, settings.water, keys=settings.keys)


def iter_telegrams(settings: SimulatorSettings, count: int | None = None) -> Iterator[bytes]:
    """Yield ``count`` telegrams (forever when None) as fast as they can be made."""
    simulator = simulator_for(settings)
    sent = 0
    while count is None or sent < count:
        yield simulator.next_telegram()
        sent += 1
