//! Unit tests of the catalog: the built-in data's shape, lookups, and file validation.

use super::*;

fn catalog_error(text: &str) -> String {
    let mut catalog = Catalog::builtin().expect("built-in catalog parses");
    catalog
        .extend_from_toml("user.toml", text)
        .expect_err("catalog must be rejected")
        .to_string()
}

#[test]
fn builtin_has_the_expected_shape() {
    let catalog = Catalog::builtin().expect("built-in catalog parses");
    // 53 general (44 table rows, 9 sibling-page codes) + 77 in the page's other sections
    // (76 + FUNCTIONS_REQUEST_FAIL) + 11 sibling codes + 73 numeric-only (30 sdk, 16
    // tencentcloud, 27 wechat).
    assert_eq!(catalog.codes().len(), 214);
    assert_eq!(catalog.categories().len(), 11);
    assert_eq!(catalog.categories()[0].id, "general");
    let aliases: usize = catalog.codes().iter().map(|c| c.numeric.len()).sum();
    assert_eq!(aliases, 20);
    let numeric_only = catalog.codes().iter().filter(|c| c.number().is_some());
    assert_eq!(numeric_only.count(), 73);
    let generic: Vec<&str> = catalog
        .codes()
        .iter()
        .filter(|c| c.is_generic())
        .map(|c| c.code.as_str())
        .collect();
    assert_eq!(
        generic,
        [
            "SYS_ERR",
            "DATABASE_REQUEST_FAILED",
            "FUNCTIONS_EXECUTE_FAIL",
            "STORAGE_REQUEST_FAIL",
            "-404011",
            "-501000",
        ]
    );
    let inferred: Vec<&str> = catalog
        .codes()
        .iter()
        .filter(|c| c.inferred)
        .map(|c| c.code.as_str())
        .collect();
    assert_eq!(
        inferred,
        ["-501000", "-501023", "-504003", "-601034", "-606003"]
    );
    assert_eq!(catalog.patterns().len(), 214 + 20);
}

#[test]
fn numeric_only_entries_are_codes_named_by_their_number() {
    let mut catalog = Catalog::builtin().expect("built-in catalog parses");
    catalog
        .extend_from_toml(
            "user.toml",
            "[[code]]\nnumber = -700001\ncategory = \"wechat\"\nzh = \"x\"\nbasis = \"logs\"\n",
        )
        .expect("valid numeric entry");
    let id = catalog.code_index("-700001").expect("known by its number");
    let entry = catalog.code(id);
    assert_eq!(entry.number(), Some(-700001));
    assert!(entry.inferred);
    assert_eq!(catalog.lookup("-700001"), Some(id));
    assert_eq!(catalog.suggest("700001", 3), ["-700001"]);
    assert!(catalog
        .patterns()
        .iter()
        .any(|p| p.text == "-700001" && p.code == id));
    let wrapper = catalog.code_index("-404011").expect("built in");
    assert!(catalog.code(wrapper).is_generic());
    assert!(!catalog.code(wrapper).inferred);
    let named = catalog.code_index("INVALID_ENV").expect("built in");
    assert_eq!(catalog.code(named).number(), None);
    // Left out on purpose (see the catalog's header): a 2-byte pattern would cost the fast
    // word engine.
    assert_eq!(catalog.code_index("-1"), None);
}

#[test]
fn numeric_entries_are_validated() {
    let err = catalog_error("[[code]]\nnumber = 404011\ncategory = \"sdk\"\nen = \"x\"\n");
    assert!(err.starts_with("catalog user.toml:2:"), "{err}");
    assert!(err.contains("must be negative"), "{err}");

    let err = catalog_error(
        "[[code]]\ncode = \"A_B\"\nnumber = -700001\ncategory = \"sdk\"\nen = \"x\"\n",
    );
    assert!(err.starts_with("catalog user.toml:2:"), "{err}");
    assert!(err.contains("not both"), "{err}");

    let err = catalog_error("[[code]]\ncategory = \"sdk\"\nen = \"x\"\n");
    assert!(err.starts_with("catalog user.toml:2:"), "{err}");
    assert!(err.contains("needs `code`"), "{err}");

    let err = catalog_error("[[code]]\ncode = \"-700001\"\ncategory = \"sdk\"\nen = \"x\"\n");
    assert!(err.starts_with("catalog user.toml:2:"), "{err}");
    assert!(err.contains("number = -700001"), "{err}");

    let err = catalog_error("[[code]]\nnumber = -7.5\ncategory = \"sdk\"\nen = \"x\"\n");
    assert!(err.starts_with("catalog user.toml:2:"), "{err}");

    // The number of a numeric entry is searched for like an alias: it must not clash.
    let err = catalog_error("[[code]]\ncategory = \"sdk\"\nen = \"x\"\nnumber = -502005\n");
    assert!(err.contains("would match both"), "{err}");
    assert!(err.starts_with("catalog user.toml:4:"), "{err}");

    let err = catalog_error(
        "[[code]]\nnumber = -700001\ncategory = \"sdk\"\nen = \"x\"\nbasis = \"rumour\"\n",
    );
    assert!(err.starts_with("catalog user.toml:5:"), "{err}");
    assert!(err.contains("basis `rumour`"), "{err}");
}

#[test]
fn lookup_accepts_any_case_and_numbers() {
    let catalog = Catalog::builtin().expect("built-in catalog parses");
    let id = catalog
        .code_index("DATABASE_COLLECTION_NOT_EXIST")
        .expect("known code");
    assert_eq!(catalog.lookup("database_collection_not_exist"), Some(id));
    assert_eq!(catalog.lookup("-502005"), Some(id));
    assert_eq!(catalog.lookup("NOPE"), None);
    assert_eq!(
        catalog.suggest("DATABASE_TIMEOUTS", 3).first(),
        Some(&"DATABASE_TIMEOUT")
    );
    assert_eq!(
        catalog.suggest("502005", 3),
        ["DATABASE_COLLECTION_NOT_EXIST"]
    );
    let timeouts = catalog.suggest("timeout", 3);
    assert_eq!(timeouts.len(), 3);
    assert!(
        timeouts.iter().all(|c| c.contains("TIMEOUT")),
        "{timeouts:?}"
    );
}

#[test]
fn user_entries_override_and_extend() {
    let mut catalog = Catalog::builtin().expect("built-in catalog parses");
    let before = catalog.codes().len();
    catalog
        .extend_from_toml(
            "user.toml",
            "[[category]]\nid = \"payments\"\nen = \"Payments\"\n\n\
             [[code]]\ncode = \"PAY_DECLINED\"\ncategory = \"payments\"\nen = \"Declined\"\nnumeric = [-700001]\n\n\
             [[code]]\ncode = \"DATABASE_TIMEOUT\"\ncategory = \"database\"\nen = \"Overridden\"\n",
        )
        .expect("valid user catalog");
    assert_eq!(catalog.codes().len(), before + 1);
    let timeout = catalog.code_index("DATABASE_TIMEOUT").expect("still known");
    assert_eq!(catalog.code(timeout).en, "Overridden");
    assert_eq!(
        catalog.lookup("-700001"),
        catalog.code_index("PAY_DECLINED")
    );
}

#[test]
fn invalid_catalogs_name_line_and_problem() {
    let err = catalog_error("[[code]]\ncode = \"\"\ncategory = \"database\"\nen = \"x\"\n");
    assert!(err.starts_with("catalog user.toml:2:"), "{err}");
    assert!(err.contains("empty code"), "{err}");

    let err = catalog_error(
        "[[code]]\ncode = \"A_B\"\ncategory = \"database\"\nen = \"x\"\n\n[[code]]\ncode = \"A_B\"\ncategory = \"database\"\nen = \"y\"\n",
    );
    assert!(err.starts_with("catalog user.toml:7:"), "{err}");
    assert!(err.contains("duplicate code `A_B`"), "{err}");

    let err = catalog_error("[[code]]\ncode = \"A_B\"\ncategory = \"nosuch\"\nen = \"x\"\n");
    assert!(err.starts_with("catalog user.toml:3:"), "{err}");
    assert!(err.contains("unknown category `nosuch`"), "{err}");

    let err = catalog_error("[[code]\ncode = 1\n");
    assert!(err.starts_with("catalog user.toml:1:"), "{err}");

    let err = catalog_error(
        "[[code]]\ncode = \"X_Y\"\ncategory = \"sdk\"\nen = \"x\"\nnumeric = [-502005]\n",
    );
    assert!(err.contains("would match both"), "{err}");
    assert!(err.starts_with("catalog user.toml:2:"), "{err}");

    let err = catalog_error("[[code]]\ncode = \"X_Y\"\ncatagory = \"sdk\"\n");
    assert!(err.contains("catagory"), "{err}");
}

#[test]
fn failed_merge_leaves_catalog_unchanged() {
    let mut catalog = Catalog::builtin().expect("built-in catalog parses");
    let before = catalog.codes().to_vec();
    let result = catalog.extend_from_toml(
        "bad.toml",
        "[[code]]\ncode = \"NEW_ONE\"\ncategory = \"sdk\"\nen = \"x\"\n\n[[code]]\ncode = \"\"\ncategory = \"sdk\"\nen = \"y\"\n",
    );
    assert!(result.is_err());
    assert_eq!(catalog.codes(), &before[..]);
}

#[test]
fn the_fingerprint_is_stable_and_tells_catalogs_apart() {
    let builtin = Catalog::builtin().unwrap();
    assert_eq!(
        builtin.fingerprint(),
        Catalog::builtin().unwrap().fingerprint()
    );
    assert_eq!(builtin.fingerprint().len(), 16);
    let mut other = builtin.clone();
    other
        .extend_from_toml(
            "extra.toml",
            "[[code]]\ncode = \"TEAM_CODE\"\ncategory = \"general\"\nen = \"x\"\n",
        )
        .unwrap();
    assert_ne!(other.fingerprint(), builtin.fingerprint());
    // FNV-1a of nothing: the offset basis, whatever the platform.
    assert_eq!(Catalog::empty().fingerprint(), "cbf29ce484222325");
}

#[test]
fn a_foreign_code_joins_with_its_category_once() {
    let mut catalog = Catalog::builtin().unwrap();
    let codes = catalog.codes().len();
    let patterns = catalog.patterns();
    let id = catalog.add_foreign_code("TEAM_CODE", "team", true, "团队", "Team");
    assert_eq!(id, codes, "appended: known ids keep their meaning");
    assert_eq!(
        catalog.add_foreign_code("TEAM_CODE", "other", false, "", ""),
        id
    );
    let entry = catalog.code(id);
    assert!(entry.is_generic());
    assert_eq!((entry.zh.as_str(), entry.en.as_str()), ("团队", "Team"));
    assert_eq!(catalog.category(entry.category).id, "team");
    // A known category is reused; a known code is left alone.
    let db = catalog.add_foreign_code("NEW_DB_CODE", "database", false, "", "");
    assert_eq!(catalog.category(catalog.code(db).category).id, "database");
    let known = catalog.lookup("DATABASE_TIMEOUT").unwrap();
    assert_eq!(
        catalog.add_foreign_code("DATABASE_TIMEOUT", "team", true, "", ""),
        known
    );
    assert!(!catalog.code(known).is_generic());
    // The codes' own patterns come first, so the known patterns keep their texts and codes.
    assert_eq!(&catalog.patterns()[..codes], &patterns[..codes]);
}
