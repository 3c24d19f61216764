//! `sqliter models` output compiles, warning-free, in a crate of its own
//! against the workspace, and reads every row of the file back through
//! both doors. One scratch crate holds every generated module (builds are
//! expensive).

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{foreign_made, python_made, sqliter, stderr, stdout, workspace_root};

/// The scratch crate's program: every generated model read back, counts
/// printed one per line.
const MAIN: &str = r#"#![deny(warnings)]

mod foreign_sync;
mod python_async;
mod python_sync;

use sqliter_async::AsyncSqliterDB;
use sqliter_core::{DbOptions, SqliterDB};

fn sync_door(dir: &str) -> sqliter_core::Result<()> {
    use python_sync::{Article, Author, Book, Tag};
    let db = SqliterDB::new(DbOptions::file(format!("{dir}/python.db")))?;
    let authors = db.select::<Author>().fetch_all()?;
    let books = db.select::<Book>().fetch_all()?;
    let tags = db.select::<Tag>().fetch_all()?;
    let articles = db.select::<Article>().fetch_all()?;
    let mut with_author = 0;
    for book in &books {
        if book.author.fetch()?.is_some() {
            with_author += 1;
        }
    }
    let mut links = 0;
    for article in &articles {
        links += article.tags.fetch_all()?.len();
    }
    let age = authors.iter().find_map(|a| a.age).unwrap_or_default();
    let pickles = authors.iter().filter(|a| a.profile.starts_with(&[0x80, 0x04])).count();
    let lucky: i64 = authors.iter().flat_map(|a| a.lucky_numbers.iter().flatten()).sum();
    println!("sync authors={} books={} tags={} articles={}", authors.len(), books.len(), tags.len(), articles.len());
    println!("sync with_author={with_author} links={links} age={age} pickles={pickles} lucky={lucky}");

    use foreign_sync::{People, Region, Shop, StringModel};
    let db = SqliterDB::new(DbOptions::file(format!("{dir}/foreign.db")))?;
    let regions = db.select::<Region>().fetch_all()?;
    let shops = db.select::<Shop>().fetch_all()?;
    let mut backed = 0;
    for shop in &shops {
        if shop.backup_region.fetch()?.is_some() {
            backed += 1;
        }
    }
    let typed = regions.iter().filter(|r| r.r#type.is_some()).count();
    println!("foreign regions={} shops={} backed={backed} typed={typed}", regions.len(), shops.len());
    let people = db.select::<People>().fetch_all()?;
    let (mut knows, mut bossed, mut region_links) = (0, 0, 0);
    for person in &people {
        knows += person.people_people.fetch_all()?.len();
        if person.boss.fetch()?.is_some() {
            bossed += 1;
        }
    }
    for region in &regions {
        region_links += region.region_shop_links.fetch_all()?.len();
    }
    let strings = db.select::<StringModel>().count()?;
    println!("foreign people={} knows={knows} bossed={bossed} region_links={region_links} strings={strings}", people.len());
    Ok(())
}

async fn async_door(dir: &str) -> sqliter_async::Result<()> {
    use python_async::{Article, Author, Book, Tag};
    let db = AsyncSqliterDB::new(DbOptions::file(format!("{dir}/python.db")))?;
    let authors = db.select::<Author>().fetch_all().await?;
    let books = db.select::<Book>().fetch_all().await?;
    let tags = db.select::<Tag>().fetch_all().await?;
    let articles = db.select::<Article>().fetch_all().await?;
    let mut with_author = 0;
    for book in &books {
        if book.author.fetch().await?.is_some() {
            with_author += 1;
        }
    }
    let mut links = 0;
    for article in &articles {
        links += article.tags.fetch_all().await?.len();
    }
    println!("async authors={} books={} tags={} articles={}", authors.len(), books.len(), tags.len(), articles.len());
    println!("async with_author={with_author} links={links}");
    Ok(())
}

fn main() {
    let dir = std::env::args().nth(1).expect("the directory of the files");
    sync_door(&dir).expect("sync door");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async_door(&dir)).expect("async door");
}
"#;

fn manifest(root: &Path) -> String {
    let core = root.join("sqliter-core");
    let asyncd = root.join("sqliter-async");
    // The workspace's dev profile, so the dependencies it built are reused.
    format!(
        r#"[package]
name = "sqliter-cli-scratch"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
sqliter-core = {{ path = "{}" }}
sqliter-async = {{ path = "{}" }}
tokio = {{ version = "1", features = ["rt", "sync", "macros"] }}

[workspace]

[profile.dev.package."*"]
opt-level = 1
"#,
        core.display(),
        asyncd.display()
    )
}

/// Generate one module; stderr is returned.
fn generate(db: &Path, out: &Path, extra: &[&str]) -> String {
    let mut args = vec!["models", db.to_str().unwrap(), "-o", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = sqliter(&args);
    assert!(
        output.status.success(),
        "models failed: {}",
        stderr(&output)
    );
    assert!(stdout(&output).is_empty(), "-o writes the file, not stdout");
    let source = fs::read_to_string(out).unwrap();
    let fmt = Command::new("rustfmt")
        .args(["--edition", "2021", "--check"])
        .arg(out)
        .output();
    if let Ok(fmt) = fmt {
        assert!(
            fmt.status.success(),
            "not rustfmt-clean:\n{}\n{source}",
            String::from_utf8_lossy(&fmt.stdout)
        );
    }
    stderr(&output)
}

#[test]
fn generated_models_compile_and_read_every_row_on_both_doors() {
    let dir = tempfile::tempdir().unwrap();
    let crate_dir = dir.path().join("scratch");
    let src = crate_dir.join("src");
    fs::create_dir_all(&src).unwrap();
    let python = crate_dir.join("python.db");
    let foreign = crate_dir.join("foreign.db");
    python_made(&python);
    foreign_made(&foreign);

    assert_eq!(generate(&python, &src.join("python_sync.rs"), &[]), "");
    assert_eq!(
        generate(&python, &src.join("python_async.rs"), &["--async"]),
        ""
    );
    let skipped = generate(&foreign, &src.join("foreign_sync.rs"), &[]);
    for (table, why) in [
        ("order_lines", "composite primary key"),
        ("settings", "WITHOUT ROWID"),
        ("big_shops", "a view"),
        ("notes", "`created_at` and `updated_at`"),
        ("users", "primary key column is `id`"),
    ] {
        assert!(
            skipped
                .lines()
                .any(|l| l.contains(&format!("'{table}'")) && l.contains(why)),
            "{table} skipped because {why}, in:\n{skipped}"
        );
    }

    let sync_source = fs::read_to_string(src.join("python_sync.rs")).unwrap();
    for expected in [
        "pub author: ForeignKey<Author>",
        "on_delete = \"CASCADE\"",
        "pub tags: ManyToMany<Tag>",
        "#[sqliter(indexes(title))]",
        "pub age: Option<i64>",
        "pub rating: Option<f64>",
        "// holds integers as text ('5')",
        "// holds Python pickles (protocol 4)",
        "#[sqliter(pickle)]",
        "pub lucky_numbers: Option<Vec<i64>>",
    ] {
        assert!(
            sync_source.contains(expected),
            "{expected} in:\n{sync_source}"
        );
    }
    let foreign_source = fs::read_to_string(src.join("foreign_sync.rs")).unwrap();
    for expected in [
        "pub people_people: ManyToMany<Self>",
        "pub boss: ForeignKey<People>",
        "through = \"region_shop_links\"",
        "pub struct StringModel",
        "// references notes(pk), which is not generated",
        "pub r#type: Option<String>",
        "// column `first name` left out",
    ] {
        assert!(
            foreign_source.contains(expected),
            "{expected} in:\n{foreign_source}"
        );
    }
    let async_source = fs::read_to_string(src.join("python_async.rs")).unwrap();
    assert!(async_source.contains("pub author: AsyncForeignKey<Author>"));
    assert!(async_source.contains("pub tags: AsyncManyToMany<Tag>"));

    let root = workspace_root();
    fs::write(crate_dir.join("Cargo.toml"), manifest(&root)).unwrap();
    fs::copy(root.join("Cargo.lock"), crate_dir.join("Cargo.lock")).unwrap();
    fs::write(src.join("main.rs"), MAIN).unwrap();
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), Into::into);
    let build = Command::new(env!("CARGO"))
        .args(["build", "--offline", "--quiet"])
        .current_dir(&crate_dir)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    assert!(
        build.status.success() && build.stderr.is_empty(),
        "the generated models must build warning-free:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let run = Command::new(target.join("debug").join("sqliter-cli-scratch"))
        .arg(&crate_dir)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        "sync authors=2 books=3 tags=3 articles=2\n\
         sync with_author=3 links=3 age=5 pickles=2 lucky=6\n\
         foreign regions=2 shops=2 backed=2 typed=1\n\
         foreign people=3 knows=3 bossed=2 region_links=3 strings=1\n\
         async authors=2 books=3 tags=3 articles=2\n\
         async with_author=3 links=3\n"
    );
}
