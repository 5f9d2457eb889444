"""`awpo bench`: throughput of the native reward pipeline (parse → outcome reward → advantages).

The same pipeline runs from Rust alone with the `awpo-bench` binary (`cargo run --release -p awpo-bench`).
"""
