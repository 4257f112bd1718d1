"""mcn-advisor: exposure assessment and migration plans for MCNs facing a platform's closed loop."""

__version__ = "0.1.0"
