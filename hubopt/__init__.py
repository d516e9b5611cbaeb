"""hubopt: coalition logistics hub planning with Pyomo and HiGHS.

    import hubopt
    plan = hubopt.solve(hubopt.read_scenario("inputs/example.xlsx"))
    hubopt.write_result(plan, "outputs/example_result.xlsx")
"""

from .api import (
    Posture,
    ShortList,
    alternatives,
    load_scenario,
    posture,
    read_scenario,
    scenario_named,
    solve,
    write_lp,
)
from .errors import HuboptError, InputError, Issue, OutputError, SolverError, UsageError
from .inputs.guard import Limits
from .inputs.instance import (
                       Contributor,
                       CountryBound,
                       Demand,
                       HubOption,
                       Permission,
                       Route,
                       Scenario,
                       ScenarioCase,
                       ScenarioDemand,
                       Sector,
                       Service,
                       Settings,
                       Site,
)
from .outputs.previous import PreviousPlan, read_previous_plan
from .outputs.results import Plan
from .outputs.writer import write_result

__version__ = "0.1.0"

__all__ = [
    "Contributor", "CountryBound", "Demand", "HubOption", "HuboptError", "InputError", "Issue",
    "Limits", "OutputError", "Permission", "Plan", "Posture", "PreviousPlan", "Route",
    "Scenario", "ScenarioCase", "ScenarioDemand", "Sector",
    "Service", "Settings", "ShortList", "Site", "SolverError", "UsageError", "alternatives",
    "load_scenario", "posture",
    "read_previous_plan", "read_scenario", "scenario_named", "solve", "write_lp", "write_result",
]
