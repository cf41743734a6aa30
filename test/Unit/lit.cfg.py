# -*- Python -*-
# GoogleTest binaries under build/unittests, one lit test per test case.
import os

import lit.formats

config.name = "tinyprune-unit"
config.suffixes = []
config.test_source_root = os.path.join(config.tinyprune_obj_root, "unittests")
config.test_exec_root = config.test_source_root
config.test_format = lit.formats.GoogleTest(".", "Test")
