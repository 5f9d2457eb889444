//! `awpo-bench`: throughput of awpo's reward pipeline from Rust alone.
fn main() {
    eprintln!("awpo-bench: no pipeline stage is built yet");
    std::process::exit(2);
}
