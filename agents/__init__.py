"""Who and what moves or is used: patients, staff, visitors, devices, pedestrians."""
