"""The Kinesis Agent for Linux, in Python (layer 2: boto3 only, on the lab's clock).

It reads a configuration in the real agent.json format, tails real files on disk, converts their
records exactly as the Java agent's ``dataProcessingOptions`` do, and sends them to Kinesis Data
Streams (PutRecords) or Firehose (PutRecordBatch) with the agent's buffering, retries, SQLite
checkpoints and CloudWatch metrics::

    from labsim.agent import Agent
    agent = Agent({"checkpointFile": f"{tmp}/checkpoints",
                   "flows": [{"filePattern": f"{tmp}/*.log", "kinesisStream": "logs",
                              "dataProcessingOptions": [{"optionName": "LOGTOJSON", "logFormat": "COMMONAPACHELOG"}]}]})
    agent.start()          # tailing, sending and checkpointing run as tasks on lab.clock
    lab.clock.advance(5)
    agent.crash()          # or agent.stop(); a new Agent on the same checkpointFile resumes

Modules: ``config`` (agent.json), ``converters`` (the processing options), ``tailer`` (files,
rotation), ``sender`` (buffers, retries), ``checkpoints`` (SQLite), ``agent`` (the lifecycle).
"""

from .agent import Agent, AgentWarning
from .config import AgentConfig, FlowConfig
from .converters import ConverterChain
from .errors import AgentConfigError

__all__ = ["Agent", "AgentConfig", "AgentConfigError", "AgentWarning", "ConverterChain", "FlowConfig"]
