"""labsim: Amazon Kinesis Data Streams and Amazon Data Firehose, simulated offline for learning.

Layers (dependencies point down only):
  3 teaching         labsim.viz, labsim.quiz, labsim.grading
  2 client libraries labsim.kpl, labsim.kcl, labsim.agent   (boto3 only)
  1 service physics  labsim.streams, labsim.firehose, ...   (moto backends, server side)
  0 lab              labsim.lab, labsim.clock, labsim.quotas, labsim.safety, labsim.transport
"""

from .clock import Clock, VirtualClock, WallClock
from .lab import Lab, LabError, current_lab
from .safety import NetworkBlockedError

# Importing the physics modules registers them with the lab.
from . import streams as _streams  # noqa: E402,F401

__all__ = ["Lab", "LabError", "Clock", "VirtualClock", "WallClock", "NetworkBlockedError", "current_lab"]
__version__ = "0.1.0"
