//! OpenVEX documents (v0.0.1 to v0.2.0): a supplier's statements on whether vulnerabilities
//! affect its products. Read as statements, not findings (see `rapport_core::VexStatement`).
//!
//! The document's id, author and date may follow its statements, so the file is read twice:
//! once for those, skipping the statements, then streaming the statements.

use std::io::{BufRead, Seek, SeekFrom};

use rapport_core::{VexProduct, VexSource, VexStatement, VexStatus, VulnId};
use serde::Deserialize;

use crate::json::{JsonReader, Text};
use crate::{ParseError, VexSink};

pub(crate) fn parse<R: BufRead + Seek>(mut input: R, sink: &mut VexSink<'_>) -> Result<(), ParseError> {
    let start = input.stream_position()?;
    let header = read_header(JsonReader::new(&mut input))?;
    input.seek(SeekFrom::Start(start))?;
    let mut json = JsonReader::new(input);
    json.object("an OpenVEX document object", |json, key| match key {
        "statements" => json.array("an array of statements", |json| {
            let statement: Statement = json.value()?;
            let statement = statement.into_statement(&header).map_err(|m| json.invalid(m))?;
            Ok(sink(statement)?)
        }),
        _ => json.skip(),
    })?;
    json.end()
}

#[derive(Default)]
struct Header {
    id: Option<String>,
    author: Option<String>,
    timestamp: Option<String>,
    version: Option<String>,
}

fn read_header<R: BufRead>(mut json: JsonReader<R>) -> Result<Header, ParseError> {
    let mut header = Header::default();
    let mut saw_statements = false;
    json.object("an OpenVEX document object", |json, key| {
        match key {
            "@id" => header.id = json.value()?,
            "author" => header.author = json.value()?,
            "timestamp" => header.timestamp = json.value()?,
            "version" => header.version = json.value::<Option<Text>>()?.map(|v| v.0),
            "statements" => {
                saw_statements = true;
                json.array("an array of statements", |json| json.skip())?;
            }
            _ => json.skip()?,
        }
        Ok(())
    })?;
    if !saw_statements {
        return Err(json.invalid("an OpenVEX document needs a `statements` array, and this one has none"));
    }
    json.end()?;
    Ok(header)
}

#[derive(Deserialize)]
struct Statement {
    vulnerability: Vulnerability,
    #[serde(default)]
    products: Vec<Product>,
    status: String,
    justification: Option<String>,
    impact_statement: Option<String>,
    action_statement: Option<String>,
    status_notes: Option<String>,
    timestamp: Option<String>,
}

/// `"CVE-2024-1"` (v0.0.1) or `{"name": "CVE-2024-1", "aliases": [...]}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum Vulnerability {
    Name(String),
    Described {
        name: Option<String>,
        #[serde(rename = "@id")]
        id: Option<String>,
        #[serde(default)]
        aliases: Vec<String>,
    },
}

/// `"pkg:apk/..."` or `{"@id": ..., "identifiers": {"purl": ...}, "subcomponents": [...]}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum Product {
    Id(String),
    Described {
        #[serde(rename = "@id")]
        id: Option<String>,
        identifiers: Option<Identifiers>,
        #[serde(default)]
        subcomponents: Vec<Product>,
    },
}

#[derive(Deserialize)]
struct Identifiers {
    purl: Option<String>,
    cpe23: Option<String>,
    cpe22: Option<String>,
}

impl Product {
    fn into_product(self) -> VexProduct {
        match self {
            Product::Id(id) => product_named(id),
            Product::Described { id, identifiers, subcomponents } => {
                let mut product = id.map(product_named).unwrap_or_default();
                if let Some(identifiers) = identifiers {
                    product.purl = identifiers.purl.or(product.purl);
                    product.cpe = identifiers.cpe23.or(identifiers.cpe22).or(product.cpe);
                }
                product.subcomponents = subcomponents.into_iter().map(Product::into_product).collect();
                product
            }
        }
    }
}

/// A product `@id` is usually a package URL, sometimes a CPE or a plain name.
fn product_named(id: String) -> VexProduct {
    if id.starts_with("pkg:") {
        VexProduct { purl: Some(id), ..VexProduct::default() }
    } else if id.starts_with("cpe:") {
        VexProduct { cpe: Some(id), ..VexProduct::default() }
    } else {
        VexProduct { name: Some(id), ..VexProduct::default() }
    }
}

impl Statement {
    fn into_statement(self, header: &Header) -> Result<VexStatement, String> {
        let status = VexStatus::parse(&self.status).ok_or_else(|| {
            format!(
                "unknown status {:?}: expected not_affected, affected, fixed or under_investigation",
                self.status
            )
        })?;
        let (name, aliases) = match self.vulnerability {
            Vulnerability::Name(name) => (Some(name), Vec::new()),
            Vulnerability::Described { name, id, aliases } => (name.or(id), aliases),
        };
        let name = name.filter(|n| !n.trim().is_empty()).ok_or("a statement's vulnerability has no name")?;
        if self.products.is_empty() {
            return Err(format!("the statement on {name} names no product"));
        }
        let document = match &header.version {
            Some(version) => {
                format!("OpenVEX {} version {version}", header.id.as_deref().unwrap_or("(no @id)"))
            }
            None => format!("OpenVEX {}", header.id.as_deref().unwrap_or("(no @id)")),
        };
        let statement = [self.impact_statement, self.action_statement, self.status_notes]
            .into_iter()
            .flatten()
            .filter(|text| !text.trim().is_empty())
            .collect::<Vec<_>>();
        Ok(VexStatement {
            vulnerability: VulnId::new(name),
            aliases: aliases.into_iter().map(VulnId::new).collect(),
            products: self.products.into_iter().map(Product::into_product).collect(),
            status,
            justification: self.justification,
            statement: Some(statement.join(" ")).filter(|s| !s.is_empty()),
            source: VexSource {
                document,
                author: header.author.clone(),
                issued: self.timestamp.or_else(|| header.timestamp.clone()),
            },
        })
    }
}
