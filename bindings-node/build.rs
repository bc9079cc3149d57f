//! Emits the link arguments a Node-API addon needs (symbols are resolved by the host `node`).
fn main() {
    napi_build::setup();
}
