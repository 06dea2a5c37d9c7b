"""Settings come from the environment by the names template.yaml gives them."""

import pytest
from pydantic import ValidationError

from shared.settings import Settings


def test_settings_are_read_by_their_environment_names_and_others_ignored():
    settings = Settings.model_validate(
        {"TABLE_NAME": "lms-prod", "EXPIRY_NOTICE_DAYS": "3", "JWT_ALGORITHMS": "RS256, ES256", "HOME": "/root"}
    )

    assert (settings.table_name, settings.expiry_notice_days) == ("lms-prod", 3)
    assert settings.jwt_algorithms == ("RS256", "ES256")
    assert settings.media_bucket == "lms-media"  # unset: the default


def test_a_negative_notice_period_is_refused():
    with pytest.raises(ValidationError, match="EXPIRY_NOTICE_DAYS"):
        Settings.model_validate({"EXPIRY_NOTICE_DAYS": "-1"})


def test_an_empty_audience_is_refused_unless_its_check_is_turned_off():
    with pytest.raises(ValidationError, match="JWT_AUDIENCE is empty"):
        Settings.model_validate({"JWT_AUDIENCE": ""})

    unchecked = Settings.model_validate({"JWT_AUDIENCE": "", "JWT_VERIFY_AUDIENCE": "false"})

    assert (unchecked.jwt_audience, unchecked.jwt_verify_audience) == ("", False)
