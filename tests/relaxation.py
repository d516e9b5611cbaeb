"""The LP relaxation of a compiled model, solved by a separate HiGHS (an
independent reference for bounds the solver reports)."""

from __future__ import annotations

import highspy

from hubopt.solver.handoff import CompiledLp


def lp_relaxation_value(compiled: CompiledLp) -> float:
    """Optimal objective of ``compiled`` with every row and integrality dropped."""
    lp = compiled.highs_lp()
    lp.integrality_ = []
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.passModel(lp)
    highs.run()
    assert highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return highs.getInfo().objective_function_value
