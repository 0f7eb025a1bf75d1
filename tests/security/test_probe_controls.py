"""Controls of the adversarial suite: its probes detect an escalation when one happens.

Without these, a probe that never fires would pass at every level and prove nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest
from sechelp import assert_not_escalated, plant_escalator, ran_as, role_state


@pytest.mark.pggit_level(min=5)
def test_an_escalator_run_by_a_superuser_is_seen(
        admin: psycopg.Connection, make_role: Callable[..., str],
        connect_as: Callable[[str], psycopg.Connection]) -> None:
    mallory = make_role()
    before = role_state(admin, mallory)
    plant_escalator(connect_as(mallory), mallory, "public.sec_control")
    connect_as(mallory).execute("SELECT public.sec_control()")
    assert ran_as(admin, "public.sec_control") == [mallory]
    assert_not_escalated(admin, mallory, before, owned_may_change=True)  # its own call: no escalation
    admin.execute("SELECT public.sec_control()")
    assert ran_as(admin, "public.sec_control")[-1] != mallory
    with pytest.raises(AssertionError, match="attributes changed"):
        assert_not_escalated(admin, mallory, before, owned_may_change=True)
