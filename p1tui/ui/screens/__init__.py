"""The monitor's screens: dashboard, raw log, settings, help."""
