"""Masking equipment IDs in a raw stream keeps every CRC verdict and every other byte."""

from __future__ import annotations

import pytest
from test_link_helpers import NL5, TELEGRAMS, telegram

from p1tui.dsmr import CrcStatus, Framer, crc16_arc, parse
from p1tui.link.masking import IdMasker, mask_value

ALL = sorted(p.name for p in TELEGRAMS.glob("*.txt"))
ID_CODES = {"0-0:96.1.1", "0-0:96.1.0", "0-0:42.0.0"} | {
    f"0-{n}:96.1.{k}" for n in range(1, 5) for k in (0, 1)
}


def masked(raw: bytes, chunk: int = 0) -> bytes:
    masker = IdMasker()
    step = chunk or len(raw)
    return b"".join(masker.feed(raw[i : i + step]) for i in range(0, len(raw), step)) + (
        masker.close()
    )


def frames(raw: bytes):
    framer = Framer()
    return framer.feed(raw) + framer.close()


@pytest.mark.parametrize("name", ALL)
def test_every_real_telegram_keeps_its_verdict_and_loses_its_ids(name):
    raw = telegram(name)
    out = masked(raw)
    (before,), (after,) = frames(raw), frames(out)
    assert after.crc_status is before.crc_status
    old, new = parse(before), parse(after)
    for a, b in zip(old.objects, new.objects, strict=True):
        if a.obis.split(".255")[0] in ID_CODES:
            assert b.values == tuple(mask_value(v.encode()).decode() for v in a.values)
        else:
            assert a == b
    if old.equipment_id is not None:
        assert set(new.equipment_id) == {"X"}
    for device in new.mbus:
        assert device.equipment_id is None or set(device.equipment_id) == {"X"}


def test_any_chunking_gives_the_same_bytes():
    stream = b"\x00junk\r\n" + telegram(NL5) + telegram(NL5).replace(b"\r\n", b"\n")
    assert masked(stream, 1) == masked(stream, 7) == masked(stream)


def test_a_broken_telegram_stays_broken_and_junk_is_kept():
    bad = telegram(NL5).replace(b"1-0:1.8.1(", b"1-0:1.8.1(9", 1)
    stream = b"\xff\xff" + bad + b"noise\r\n" + telegram(NL5)
    out = masked(stream)
    assert out.startswith(b"\xff\xff")
    assert b"noise\r\n" in out
    verdicts = [f.crc_status for f in frames(out)]
    assert verdicts == [CrcStatus.FAILED, CrcStatus.OK]
    (failed,) = [f for f in frames(out) if not f.valid]
    (original,) = frames(bad)
    assert (
        failed.crc_received ^ failed.crc_computed == original.crc_received ^ original.crc_computed
    )


def test_a_lowercase_crc_stays_lowercase():
    raw = telegram(NL5)
    bang = raw.rindex(b"!")
    lower = raw[:bang] + raw[bang:].lower()
    out = masked(lower)
    assert out[out.rindex(b"!") + 1 :].strip().islower()
    assert frames(out)[0].crc_status is CrcStatus.OK


def test_mask_value_keeps_length_and_encoding():
    assert mask_value(b"4530303332") == b"5858585858"
    assert mask_value(b"E0032") == b"XXXXX"
    assert mask_value(b"00000000") == b"00000000"
    assert mask_value(b"") == b""


KAMSTRUP = "dsmrtools__kamstrup-zabf-gasch2__1.txt"
LG_E360 = ("unattr-py__lg-e360-3ph__1.txt", "unattr-js__lg-e360-3ph-gas__1.txt")


def _ids(t) -> list[str]:
    ids = [t.equipment_id] + [d.equipment_id for d in t.mbus]
    return [i.strip() for i in ids if i]


def _shared_run(a: str, b: str, size: int = 6) -> str | None:
    """A run of ``size`` digits found in both strings, if any."""
    for i in range(len(a) - size + 1):
        if a[i : i + size].isdigit() and a[i : i + size] in b:
            return a[i : i + size]
    return None


@pytest.mark.parametrize("name", [KAMSTRUP, *LG_E360])
def test_the_serial_number_in_the_header_is_masked_too(name):
    raw = telegram(name)
    before = parse(frames(raw)[0])
    (meter_id,) = [i for i in _ids(before) if i == before.equipment_id.strip()]
    assert _shared_run(before.header, meter_id) is not None  # the header does carry it
    for chunk in (0, 1, 5):
        out = masked(raw, chunk)
        (frame,) = frames(out)
        assert frame.crc_status is frames(raw)[0].crc_status  # Kamstrup: DSMR 2.2, no CRC
        assert frame.valid
        after = parse(frame)
        assert after.header[:8] == before.header[:8]  # the make and model stay readable
        assert len(after.header) == len(before.header)
        for known in _ids(before):
            assert _shared_run(after.header, known) is None, (after.header, known)
            assert known.encode() not in out
            assert known.encode().hex().upper().encode() not in out.upper()
        # the readings are untouched
        assert after.energy_import_kwh == before.energy_import_kwh
        assert [d.reading for d in after.mbus] == [d.reading for d in before.mbus]


def test_header_expectations_read_by_hand():
    assert masked(telegram(KAMSTRUP)).startswith(b"/KMP5 ZABFXXXXXXXXXXXX\r\n")
    assert masked(telegram(LG_E360[0])).startswith(b"/XMX5LGFXXXXXXXXXXXXX\r\n")
    # a model number that shares no six digits with the ID stays
    assert masked(telegram(NL5)).startswith(b"/ISK5\\2M550T-1012\r\n")


def test_an_id_repeated_in_another_line_is_masked_there_too():
    raw = telegram(NL5)
    meter_id = parse(frames(raw)[0]).equipment_id
    body = raw[: raw.rindex(b"!")]
    message = ("meter " + meter_id).encode().hex().upper().encode()
    body = body + b"0-0:96.13.0(" + message + b")\r\n!"
    glued = body + b"%04X\r\n" % crc16_arc(body)
    out = masked(glued)
    (frame,) = frames(out)
    assert frame.crc_status is CrcStatus.OK
    assert parse(frame).text_message == "meter " + "X" * len(meter_id)
    assert meter_id.encode().hex().upper().encode() not in out


def test_a_telegram_cut_short_is_masked_with_the_ids_seen_before():
    raw = telegram(LG_E360[0])
    cut = raw[: raw.index(b"0-0:96.1.1")]  # the header, but not yet the ID line
    out = masked(raw + cut + raw)
    assert out.count(b"/XMX5LGFXXXXXXXXXXXXX\r\n") == 3
    assert [f.crc_status for f in frames(out)] == [CrcStatus.OK, CrcStatus.OK]
    masker = IdMasker()
    assert masker.feed(raw + cut).count(b"/XMX5LGFXXXXXXXXXXXXX") == 1  # the cut one waits
    assert masker.close().startswith(b"/XMX5LGFXXXXXXXXXXXXX\r\n")  # ... until the end


# --- an encrypting meter ---------------------------------------------------------------


def test_encrypted_frames_are_masked_inside_and_encrypted_again():
    from p1tui.dsmr.decryptor import Decryptor, encrypt_frame
    from p1tui.dsmr.dlms import MeterKeys
    from p1tui.link.encrypted_masking import EncryptedIdMasker
    from p1tui.sim.simulator import Simulator

    keys = MeterKeys(bytes(range(16)))
    meter = Simulator("lu", 3, 1_780_000_000, keys=keys)
    sent = [meter.next_telegram() for _ in range(3)]
    short = encrypt_frame(telegram(NL5), keys, b"SAG12345", 99, security=0x20, length_form=0x82)
    broken = sent[1][:50] + bytes([sent[1][50] ^ 1]) + sent[1][51:]
    # a meter that sent tagged frames is not believed without a tag: the 0x20 one comes first
    stream = b"\x00" + short + sent[0] + broken + b"\xff" + sent[2] + telegram(NL5)
    masker = EncryptedIdMasker(keys)
    out = b"".join(masker.feed(stream[i : i + 61]) for i in range(0, len(stream), 61))
    out += masker.close()
    assert len(out) == len(stream)
    assert broken in out  # a frame that does not decrypt is kept as it came
    decryptor = Decryptor(keys)
    plain = decryptor.feed(out) + decryptor.close()
    envelopes = decryptor.take_envelopes()
    assert [(e.frame_counter, e.security) for e in envelopes] == [
        (99, 0x20),
        (envelopes[1].frame_counter, 0x30),
        (envelopes[1].frame_counter + 2, 0x30),
    ]
    assert out[out.index(b"\xdb\x08SAG12345") + 10] == 0x82  # the length form is kept
    found = frames(plain)
    assert len(found) == 4 and all(f.crc_status is CrcStatus.OK for f in found)
    for frame in found:
        ids = [o.values for o in parse(frame).objects if o.obis.split(".255")[0] in ID_CODES]
        assert ids and all(set(v) <= {"5", "8", "X", "0"} for values in ids for v in values)
