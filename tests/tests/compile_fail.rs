//! Every diagnostic of `#[derive(DbModel)]`, pinned by its `.stderr`.

#[test]
fn derive_diagnostics() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/*.rs");
}
