"""hubopt: coalition logistics hub planning with Pyomo and HiGHS."""

__version__ = "0.1.0"
