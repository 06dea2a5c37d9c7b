"""JSON kept deflated, and sent inside a response as gzip without being compressed again.

A document is stored as a raw DEFLATE stream ended by a sync flush: byte-aligned and not final,
so more blocks may follow it. A gzip response is then a header, the response's own opening
(compressed on the spot: a few hundred bytes), the stored stream as it is, the closing as the
final block, and the CRC-32 and length of the whole. The CRC of the whole is combined from the
parts' CRCs (`crc32_combine`, as zlib computes it), so the stored document is never inflated
for a client that takes gzip."""

import struct
import zlib
from dataclasses import dataclass
from functools import cache

LEVEL = 6
RAW = -zlib.MAX_WBITS  # a raw DEFLATE stream: no zlib header or trailer
# The CRC-32 polynomial, bit-reversed (the order zlib's CRC works in).
POLYNOMIAL = 0xEDB88320
# A gzip member's header: magic, DEFLATE, no flags, no time, no extra flags, unknown system.
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"


@dataclass(frozen=True)
class Deflated:
    """A document as stored: its DEFLATE stream, and the length and CRC-32 of the text."""

    data: bytes
    length: int
    crc: int


def deflate(text: bytes) -> Deflated:
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, RAW)
    data = compressor.compress(text) + compressor.flush(zlib.Z_SYNC_FLUSH)
    return Deflated(data, len(text), zlib.crc32(text))


def inflate(document: Deflated) -> bytes:
    return zlib.decompressobj(RAW).decompress(document.data)


def _deflated_block(text: bytes, final: bool) -> bytes:
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, RAW)
    return compressor.compress(text) + compressor.flush(zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH)


def gzip_around(opening: bytes, document: Deflated, closing: bytes) -> bytes:
    """One gzip member of `opening + document + closing`, with the document's stream used as it is."""
    crc = zlib.crc32(closing, crc32_combine(zlib.crc32(opening), document.crc, document.length))
    size = (len(opening) + document.length + len(closing)) & 0xFFFFFFFF
    return b"".join(
        (
            GZIP_HEADER,
            _deflated_block(opening, final=False),
            document.data,
            _deflated_block(closing, final=True),
            struct.pack("<II", crc, size),
        )
    )


def crc32_combine(first: int, second: int, second_length: int) -> int:
    """The CRC-32 of A followed by B, from A's CRC, B's CRC and B's length: A's CRC moved past
    B's length of zero bytes (multiplied by x^(8·length) modulo the polynomial), then B's added."""
    return _multiply(_x_to_the_power_of_8_times(second_length), first) ^ second


def _multiply(a: int, b: int) -> int:
    """a(x)·b(x) modulo the CRC polynomial, both bit-reversed (the top bit is x^0)."""
    product, bit = 0, 1 << 31
    while a:
        if a & bit:
            product ^= b
            a ^= bit
        bit >>= 1
        b = (b >> 1) ^ POLYNOMIAL if b & 1 else b >> 1
    return product


@cache
def _x_to_the_power_of_two_to_the(k: int) -> int:
    """x^(2^k) modulo the polynomial, by squaring x^(2^(k-1))."""
    if k == 0:
        return 1 << 30  # x^1, bit-reversed
    previous = _x_to_the_power_of_two_to_the(k - 1)
    return _multiply(previous, previous)


def _x_to_the_power_of_8_times(length: int) -> int:
    """x^(8·length) modulo the polynomial: the product of x^(2^k) over the bits k of 8·length."""
    power, k, n = 1 << 31, 0, length * 8  # x^0
    while n:
        if n & 1:
            power = _multiply(_x_to_the_power_of_two_to_the(k), power)
        n >>= 1
        k += 1
    return power
