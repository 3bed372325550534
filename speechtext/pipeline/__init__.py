"""Pipelines: the stages chained over folders, from a TOML spec, on a process pool or on Dask.

Three modules, one concern each:

``spec``
    TOML specs: parsing and checks that name the line (:func:`parse_spec`, :func:`load_spec`,
    :class:`Spec`), and the shipped specs, package data in ``specs/`` (:func:`shipped_specs`).
``stages``
    The stage protocol (:class:`Stage`), one thin adapter per stage over the library and the
    :mod:`speechtext.io` writers, the registry :data:`STAGES`.
``runner``
    The stages of a spec built (:class:`Pipeline`); jobs, completion markers, the process pool
    or Dask, the manifest (:func:`run_pipeline`, :class:`RunResult`).

Names load from their module on first use, so importing ``speechtext.pipeline`` is cheap.

Examples
--------
>>> from speechtext.pipeline import load_spec, run_pipeline
>>> spec = load_spec("telephone")  # a shipped spec, or a path
>>> [s.name for s in spec.stages]
['telephone', 'pitch']
>>> result = run_pipeline(spec, ["data/samples"], "out", workers=2)  # doctest: +SKIP
>>> result.exit_status  # doctest: +SKIP
0
"""

from .._lazy import lazy_exports

# Public name -> submodule that defines it.
_EXPORTS = {
    "SPEC_DIR": "spec",
    "Spec": "spec",
    "StageSpec": "spec",
    "load_spec": "spec",
    "parse_spec": "spec",
    "shipped_specs": "spec",
    "STAGES": "stages",
    "Pipeline": "runner",
    "Stage": "stages",
    "Record": "stages",
    "MARKER_DIR": "runner",
    "RunResult": "runner",
    "run_pipeline": "runner",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
