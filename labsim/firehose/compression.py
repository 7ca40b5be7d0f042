"""Compressing a delivered object as Firehose does: GZIP, ZIP, Snappy (framed), HADOOP_SNAPPY.

Each output is readable by its format's standard tools: ``gzip``/``gunzip``, ``zipfile``/``unzip``,
the Snappy framing format (python-snappy's ``StreamDecompressor``, cramjam), and Hadoop's
``SnappyCodec`` block format (python-snappy's ``HadoopStreamDecompressor``). Buffer sizes are measured
before compression (kinesis-facts 7.3).

Lab assumptions (AWS does not document them): a ZIP object holds one entry named like the object
without ``.zip``; ``Snappy`` means the framing format (what the Snappy tools read by default).

>>> data = b"hello " * 100
>>> all(decompress(f, compress(f, data, "x")) == data for f in FORMATS)
True
"""

from __future__ import annotations

import gzip
import io
import zipfile

import snappy

FORMATS = ("UNCOMPRESSED", "GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY")


def compress(fmt: str, data: bytes, entry_name: str = "data") -> bytes:
    if fmt == "UNCOMPRESSED":
        return data
    if fmt == "GZIP":
        # mtime=0: the same input gives the same object bytes on every run.
        return gzip.compress(data, mtime=0)
    if fmt == "ZIP":
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            info = zipfile.ZipInfo(entry_name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
        return out.getvalue()
    if fmt == "Snappy":
        return snappy.StreamCompressor().add_chunk(data)
    if fmt == "HADOOP_SNAPPY":
        return snappy.HadoopStreamCompressor().add_chunk(data)
    raise ValueError(f"unknown CompressionFormat {fmt!r}: use one of {', '.join(FORMATS)}")


def decompress(fmt: str, blob: bytes) -> bytes:
    """The inverse, for lessons and graders (``labsim.firehose.read_object`` uses it)."""
    if fmt == "UNCOMPRESSED":
        return blob
    if fmt == "GZIP":
        return gzip.decompress(blob)
    if fmt == "ZIP":
        with zipfile.ZipFile(io.BytesIO(blob)) as archive:
            return b"".join(archive.read(name) for name in archive.namelist())
    if fmt == "Snappy":
        return snappy.StreamDecompressor().decompress(blob)
    if fmt == "HADOOP_SNAPPY":
        return snappy.HadoopStreamDecompressor().decompress(blob)
    raise ValueError(f"unknown CompressionFormat {fmt!r}: use one of {', '.join(FORMATS)}")
