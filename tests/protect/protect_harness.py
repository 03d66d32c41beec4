"""Shared parts of the `licet protect exe|lib` tests: builds the test programs with the
system compilers, protects them with the real `licet`, runs them against a real licetd (see
tests/runtime/runtime_harness.py, which this imports from PYTHONPATH)."""

import os
import subprocess
import sysconfig

import runtime_harness as h

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs")
PRODUCT = 201010          # feature map 0x3, expires in a year
PRODUCT_EXPIRED = 201060  # expired at 2020-01-01
PRODUCT_UNITS = 201030    # 5 units, expires in 3 days


def compile_program(out, source, *flags, cxx=False):
    cmd = ["g++" if cxx else "gcc", "-O2", *flags, os.path.join(SRC, source), "-o", out]
    if cxx:
        cmd.insert(2, "-pthread")
    subprocess.run(cmd, check=True, timeout=300)
    return out


def compile_pyext(out_dir):
    """Builds the licetpyext module into out_dir; returns its path."""
    os.makedirs(out_dir, exist_ok=True)
    include = sysconfig.get_paths()["include"]
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    out = os.path.join(out_dir, "licetpyext" + suffix)
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-I", include, os.path.join(SRC, "pyext.c"),
                    "-o", out], check=True, timeout=300)
    return out


def protect(home, kind, src, out, *options, product=PRODUCT, check=True):
    args = ["protect", kind]
    if "--ip-protection" not in options:
        args += ["--firm-key", home.firm_key(), "--firm-code", str(h.FIRM),
                 "--product-code", str(product)]
    args += ["--product-name", "Sample App", *options, src, "-o", out]
    return home.cli(*args, check=check)


def run(home, argv, stdin=None, env=None, timeout=60):
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=timeout,
                          env=env or home.env, preexec_fn=h._die_with_parent)
