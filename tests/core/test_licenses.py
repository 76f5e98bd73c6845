from core.licenses import LicenseClass, classify_license, model_license_class

# The 20 most common licenses of the 2025 Hub (ANALYSES.md / paper aggregates) and their classes.
REFERENCE_TOP_20 = {
    "apache-2.0": LicenseClass.PERMISSIVE, "mit": LicenseClass.PERMISSIVE, "other": LicenseClass.OTHER,
    "openrail": LicenseClass.USE_RESTRICTED, "creativeml-openrail-m": LicenseClass.USE_RESTRICTED,
    "cc-by-nc-4.0": LicenseClass.NON_COMMERCIAL, "llama2": LicenseClass.COMMERCIAL_RESTRICTED,
    "llama3": LicenseClass.COMMERCIAL_RESTRICTED, "gemma": LicenseClass.COMMERCIAL_RESTRICTED,
    "unknown": LicenseClass.OTHER, "llama3.1": LicenseClass.COMMERCIAL_RESTRICTED, "cc-by-4.0": LicenseClass.PERMISSIVE,
    "openrail++": LicenseClass.USE_RESTRICTED, "llama3.2": LicenseClass.COMMERCIAL_RESTRICTED,
    "cc-by-nc-sa-4.0": LicenseClass.NON_COMMERCIAL, "afl-3.0": LicenseClass.PERMISSIVE,
    "cc-by-sa-4.0": LicenseClass.COPYLEFT, "gpl-3.0": LicenseClass.COPYLEFT, "artistic-2.0": LicenseClass.PERMISSIVE,
    "llama3.3": LicenseClass.COMMERCIAL_RESTRICTED,
}


def test_reference_top_20():
    assert {k: classify_license(k) for k in REFERENCE_TOP_20} == REFERENCE_TOP_20


def test_more_licenses_and_edge_cases():
    assert classify_license("bigscience-bloom-rail-1.0") is LicenseClass.USE_RESTRICTED
    assert classify_license("cc-by-nd-4.0") is LicenseClass.NON_COMMERCIAL
    assert classify_license("agpl-3.0") is LicenseClass.COPYLEFT
    assert classify_license("  MIT ") is LicenseClass.PERMISSIVE
    assert classify_license(None) is LicenseClass.OTHER and classify_license("") is LicenseClass.OTHER


def test_model_class_is_its_most_restrictive_known_license():
    assert model_license_class(["mit", "llama3"]) is LicenseClass.COMMERCIAL_RESTRICTED
    assert model_license_class(["other", "apache-2.0"]) is LicenseClass.PERMISSIVE
    assert model_license_class([]) is LicenseClass.OTHER
