"""Kinesis Data Streams physics (layer 1): see the modules of this package."""
