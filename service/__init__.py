"""relief: approval chains of county family-planning benefit and relief programs."""
