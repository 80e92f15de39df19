//! Versions of the ownership file: each is built on the one in force, and two built on the
//! same one cannot both be applied.

use time::OffsetDateTime;

use crate::backends::each_backend;

#[tokio::test]
async fn a_version_built_on_one_no_longer_in_force_is_not_applied() {
    for (store, _guard) in each_backend().await {
        let backend = store.backend();
        let at = OffsetDateTime::UNIX_EPOCH;
        let record = |content: &'static str, in_force: Option<i64>| {
            let store = store.clone();
            async move { store.record_ownership(content, "toml", 0, Vec::new(), at, in_force).await.unwrap() }
        };
        let first = record("# one\n", None).await.expect("the first version, with none in force");
        let second = record("# two\n", Some(first)).await.expect("built on the first");
        assert_eq!(
            record("# also on the first\n", Some(first)).await,
            None,
            "{backend}: built on a stale one"
        );
        assert_eq!(record("# as if none\n", None).await, None, "{backend}");
        let versions = store.ownership_versions().await.unwrap();
        let contents: Vec<&str> = versions.iter().map(|version| version.content.as_str()).collect();
        assert_eq!(contents, ["# one\n", "# two\n"], "{backend}: nothing of the refused ones was kept");
        assert_eq!(record("# three\n", Some(second)).await, Some(second + 1), "{backend}");
    }
}
