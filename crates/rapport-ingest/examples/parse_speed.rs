//! Temporary experiment: parse-only speed.
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let rows = std::env::args().nth(2).is_some();
    let bytes = std::fs::read(&path).unwrap();
    let format = rapport_formats::detect(&bytes[..bytes.len().min(262144)]).unwrap();
    drop(bytes);
    let start = std::time::Instant::now();
    let mut count = 0u64;
    let mut total = 0usize;
    let context = rapport_formats::ScanContext {
        fallback_target: "x".into(),
    };
    let file = std::io::BufReader::with_capacity(256 * 1024, std::fs::File::open(&path).unwrap());
    rapport_formats::parse(format, file, &context, &mut |f| {
        count += 1;
        if rows {
            let row = rapport_storage::FindingRow::from_finding(&f);
            total += row.detail.len();
        }
        Ok(())
    })
    .unwrap();
    let s = start.elapsed().as_secs_f64();
    println!(
        "{count} findings in {s:.2}s = {:.0}/s, detail bytes {total}",
        count as f64 / s
    );
}
