//! CSAF 2.0 documents (VEX profile, security advisories and the other profiles): the
//! product status of each vulnerability (known not affected, fixed, known affected, under
//! investigation) read as VEX statements, one per vulnerability and product, with the
//! justification flag, the impact or the remediation that applies to that product.
//!
//! Statements name products by id, and ids are defined in the product tree, which may come
//! after the vulnerabilities: the file is read twice, once for the document and its product
//! tree (skipping the vulnerabilities), then streaming the vulnerabilities.

use std::collections::HashMap;
use std::io::{BufRead, Seek, SeekFrom};

use rapport_core::{
    AffectedPackage, Cvss, ExploitSignal, Exploitation, Remediation, VexProduct, VexSource, VexStatement,
    VexStatus, VulnId, VulnRecord, parse_cwe,
};
use serde::Deserialize;

use crate::intel::{IntelItem, IntelSink, IntelSummary, parse_date, parse_timestamp};
use crate::json::JsonReader;
use crate::{ParseError, VexSink};

pub(crate) fn parse<R: BufRead + Seek>(mut input: R, sink: &mut VexSink<'_>) -> Result<(), ParseError> {
    let start = input.stream_position()?;
    let (source, products) = read_header(JsonReader::new(&mut input))?;
    input.seek(SeekFrom::Start(start))?;
    let mut json = JsonReader::new(input);
    json.object("a CSAF document object", |json, key| match key {
        "vulnerabilities" => json.array("an array of vulnerabilities", |json| {
            let vulnerability: Vulnerability = json.value()?;
            for statement in vulnerability.statements(&source, &products).map_err(|m| json.invalid(m))? {
                sink(statement)?;
            }
            Ok(())
        }),
        _ => json.skip(),
    })?;
    json.end()
}

/// A CSAF advisory as intel: one record per vulnerability, with the publisher's scores,
/// remediations (and the products they are for), exploit status and affected products.
/// An advisory is one document whose products may come after its vulnerabilities, so it is
/// read whole first: intel may arrive unpacked from a stream that cannot go back.
pub(crate) fn parse_advisory<R: BufRead>(
    mut input: R,
    sink: &mut IntelSink<'_>,
) -> Result<IntelSummary, ParseError> {
    let mut document = Vec::new();
    input.read_to_end(&mut document)?;
    let (source, products) = read_header(JsonReader::new(document.as_slice()))?;
    let mut json = JsonReader::new(document.as_slice());
    let mut items = 0;
    json.object("a CSAF document object", |json, key| match key {
        "vulnerabilities" => json.array("an array of vulnerabilities", |json| {
            let vulnerability: Vulnerability = json.value()?;
            let record = vulnerability.record(&source, &products).map_err(|m| json.invalid(m))?;
            items += 1;
            sink(IntelItem::Record(Box::new(record)))?;
            Ok(())
        }),
        _ => json.skip(),
    })?;
    json.end()?;
    Ok(IntelSummary { edition: None, items })
}

#[derive(Deserialize)]
struct Document {
    csaf_version: String,
    publisher: Option<Publisher>,
    tracking: Tracking,
}

#[derive(Deserialize)]
struct Publisher {
    name: Option<String>,
}

#[derive(Deserialize)]
struct Tracking {
    id: String,
    version: Option<String>,
    current_release_date: Option<String>,
}

fn read_header<R: BufRead>(
    mut json: JsonReader<R>,
) -> Result<(VexSource, HashMap<String, VexProduct>), ParseError> {
    let mut document: Option<Document> = None;
    let mut products = HashMap::new();
    json.object("a CSAF document object", |json, key| {
        match key {
            "document" => document = Some(json.value()?),
            "product_tree" => products = json.value::<ProductTree>()?.products(),
            _ => json.skip()?,
        }
        Ok(())
    })?;
    let document = document
        .ok_or_else(|| json.invalid("a CSAF document needs a `document` object, and this one has none"))?;
    if document.csaf_version != "2.0" {
        return Err(json.invalid(format!(
            "CSAF version {:?} is not supported: expected \"2.0\"",
            document.csaf_version
        )));
    }
    json.end()?;
    let tracking = document.tracking;
    let name = match &tracking.version {
        Some(version) => format!("CSAF {} version {version}", tracking.id),
        None => format!("CSAF {}", tracking.id),
    };
    let source = VexSource {
        document: name,
        author: document.publisher.and_then(|p| p.name),
        issued: tracking.current_release_date,
    };
    Ok((source, products))
}

#[derive(Deserialize)]
struct ProductTree {
    #[serde(default)]
    branches: Vec<Branch>,
    #[serde(default)]
    full_product_names: Vec<FullProductName>,
    #[serde(default)]
    relationships: Vec<Relationship>,
}

#[derive(Deserialize)]
struct Branch {
    category: String,
    name: String,
    product: Option<FullProductName>,
    #[serde(default)]
    branches: Vec<Branch>,
}

#[derive(Deserialize)]
struct FullProductName {
    product_id: String,
    name: String,
    product_identification_helper: Option<Helper>,
}

#[derive(Deserialize)]
struct Helper {
    purl: Option<String>,
    cpe: Option<String>,
}

#[derive(Deserialize)]
struct Relationship {
    product_reference: String,
    relates_to_product_reference: String,
    full_product_name: FullProductName,
}

impl FullProductName {
    fn product(&self, name: Option<&str>, version: Option<&str>) -> VexProduct {
        let helper = self.product_identification_helper.as_ref();
        VexProduct {
            purl: helper.and_then(|h| h.purl.clone()),
            cpe: helper.and_then(|h| h.cpe.clone()),
            name: Some(name.unwrap_or(&self.name).to_owned()),
            version: version.map(str::to_owned),
            subcomponents: Vec::new(),
        }
    }
}

impl ProductTree {
    /// Every product id of the tree: leaves of the branches (named by their product-name
    /// and version branches), listed full product names, and relationships (a component
    /// inside a product).
    fn products(self) -> HashMap<String, VexProduct> {
        let mut products = HashMap::new();
        for branch in &self.branches {
            walk(branch, None, None, &mut products);
        }
        for full in &self.full_product_names {
            products.insert(full.product_id.clone(), full.product(None, None));
        }
        for relationship in &self.relationships {
            let inner = products.get(&relationship.product_reference).cloned();
            let outer = products.get(&relationship.relates_to_product_reference).cloned();
            let combined = match (outer, inner) {
                (Some(mut outer), Some(inner)) => {
                    outer.subcomponents.push(inner);
                    outer
                }
                _ => relationship.full_product_name.product(None, None),
            };
            products.insert(relationship.full_product_name.product_id.clone(), combined);
        }
        products
    }
}

fn walk<'b>(
    branch: &'b Branch,
    name: Option<&'b str>,
    version: Option<&'b str>,
    products: &mut HashMap<String, VexProduct>,
) {
    let (name, version) = match branch.category.as_str() {
        "product_name" => (Some(branch.name.as_str()), version),
        "product_version" => (name, Some(branch.name.as_str())),
        _ => (name, version),
    };
    if let Some(product) = &branch.product {
        products.insert(product.product_id.clone(), product.product(name, version));
    }
    for inner in &branch.branches {
        walk(inner, name, version, products);
    }
}

#[derive(Deserialize)]
struct Vulnerability {
    cve: Option<String>,
    #[serde(default)]
    ids: Vec<Id>,
    title: Option<String>,
    #[serde(default)]
    notes: Vec<Note>,
    cwe: Option<Cwe>,
    #[serde(default)]
    scores: Vec<Score>,
    #[serde(default)]
    references: Vec<Reference>,
    release_date: Option<String>,
    #[serde(default)]
    product_status: HashMap<String, Vec<String>>,
    #[serde(default)]
    flags: Vec<Flag>,
    #[serde(default)]
    threats: Vec<Note>,
    #[serde(default)]
    remediations: Vec<Note>,
}

#[derive(Deserialize)]
struct Id {
    text: String,
}

#[derive(Deserialize)]
struct Flag {
    label: String,
    #[serde(default)]
    product_ids: Vec<String>,
}

/// A threat, remediation or note: what it says and which products it is about.
#[derive(Deserialize)]
struct Note {
    category: String,
    #[serde(alias = "text")]
    details: String,
    url: Option<String>,
    date: Option<String>,
    #[serde(default)]
    product_ids: Vec<String>,
}

#[derive(Deserialize)]
struct Cwe {
    id: String,
}

#[derive(Deserialize)]
struct Score {
    cvss_v3: Option<CvssJson>,
    cvss_v2: Option<CvssJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CvssJson {
    vector_string: String,
    base_score: Option<f64>,
}

#[derive(Deserialize)]
struct Reference {
    url: String,
}

/// What an `exploit_status` threat's words say; `None` when they say nothing clear.
fn exploitation_in(details: &str) -> Option<Exploitation> {
    let words = details.to_ascii_lowercase();
    let says = |phrases: &[&str]| phrases.iter().any(|phrase| words.contains(phrase));
    if says(&["no known exploit", "not aware of any", "no exploit", "not exploited"]) {
        Some(Exploitation::None)
    } else if says(&[
        "exploited in the wild",
        "actively exploited",
        "active exploitation",
        "being exploited",
        "exploitation has been observed",
        "exploitation detected",
    ]) {
        Some(Exploitation::Active)
    } else if says(&[
        "proof of concept",
        "proof-of-concept",
        "poc",
        "exploit code is publicly available",
        "public exploit",
        "exploit is available",
    ]) {
        Some(Exploitation::PublicPoc)
    } else {
        None
    }
}

impl Vulnerability {
    fn record(
        self,
        source: &VexSource,
        products: &HashMap<String, VexProduct>,
    ) -> Result<VulnRecord, String> {
        let mut ids = self.cve.iter().chain(self.ids.iter().map(|id| &id.text));
        let id = ids.next().ok_or("a vulnerability without a `cve` or `ids`")?;
        let publisher = source.author.clone().unwrap_or_else(|| "CSAF".to_owned());
        let mut record = VulnRecord::new(VulnId::new(id), format!("csaf:{publisher}"));
        for alias in ids {
            record.add_alias(alias);
        }
        let name = |product_id: &String| {
            products.get(product_id).map_or_else(
                || product_id.clone(),
                |product| {
                    let name = product.name.clone().unwrap_or_default();
                    match &product.version {
                        Some(version) => format!("{name} {version}"),
                        None => name,
                    }
                },
            )
        };
        record.title = self.title;
        record.published = self.release_date.as_deref().and_then(parse_timestamp);
        record.modified = source.issued.as_deref().and_then(parse_timestamp);
        record.description = self
            .notes
            .iter()
            .find(|note| matches!(note.category.as_str(), "description" | "summary" | "details"))
            .map(|note| note.details.clone());
        record.cwes = self.cwe.and_then(|cwe| parse_cwe(&cwe.id)).into_iter().collect();
        for score in self.scores {
            for cvss in [score.cvss_v3, score.cvss_v2].into_iter().flatten() {
                let scored = Cvss::from_vector(&cvss.vector_string, cvss.base_score, Some(&record.source));
                if !record.cvss.contains(&scored) {
                    record.cvss.push(scored);
                }
            }
        }
        record.references = self.references.into_iter().map(|reference| reference.url).collect();
        record.remediations = self
            .remediations
            .iter()
            .map(|note| Remediation {
                category: note.category.clone(),
                details: note.details.clone(),
                url: note.url.clone(),
                products: note.product_ids.iter().map(name).collect(),
            })
            .collect();
        for threat in self.threats.iter().filter(|threat| threat.category == "exploit_status") {
            if let Some(exploitation) = exploitation_in(&threat.details) {
                record.signals.push(ExploitSignal {
                    source: format!("{publisher} ({})", source.document),
                    exploitation: Some(exploitation),
                    automatable: None,
                    technical_impact: None,
                    as_of: threat.date.as_deref().and_then(parse_date),
                });
            }
        }
        let fixed: Vec<String> = ["fixed", "first_fixed"]
            .iter()
            .filter_map(|group| self.product_status.get(*group))
            .flatten()
            .map(name)
            .collect();
        for group in ["known_affected", "first_affected", "last_affected"] {
            for product_id in self.product_status.get(group).into_iter().flatten() {
                let product = products.get(product_id);
                record.affected.push(AffectedPackage {
                    ecosystem: None,
                    name: name(product_id),
                    purl: product.and_then(|p| p.purl.clone()),
                    ranges: vec![group.replace('_', " ")],
                    fixed: fixed.clone(),
                });
            }
        }
        Ok(record)
    }

    fn statements(
        self,
        source: &VexSource,
        products: &HashMap<String, VexProduct>,
    ) -> Result<Vec<VexStatement>, String> {
        let mut ids = self.cve.into_iter().chain(self.ids.into_iter().map(|id| id.text));
        let vulnerability = ids.next().ok_or("a vulnerability without a `cve` or `ids`")?;
        let aliases: Vec<VulnId> = ids.map(VulnId::new).collect();
        let mut statements = Vec::new();
        let mut groups: Vec<(&String, &Vec<String>)> = self.product_status.iter().collect();
        groups.sort();
        for (group, ids) in groups {
            // `recommended` names the products to move to, not a status.
            let Some(status) = VexStatus::parse(group) else { continue };
            for id in ids {
                let product = products.get(id).ok_or_else(|| {
                    format!("{vulnerability} names product {id}, which the product tree does not define")
                })?;
                let about = |note: &&Note| note.product_ids.iter().any(|p| p == id);
                let justification = self
                    .flags
                    .iter()
                    .find(|flag| flag.product_ids.iter().any(|p| p == id))
                    .map(|f| f.label.clone());
                let said: Vec<String> = match status {
                    VexStatus::NotAffected => self
                        .threats
                        .iter()
                        .filter(about)
                        .filter(|t| t.category == "impact")
                        .map(|t| t.details.clone())
                        .collect(),
                    _ => self
                        .remediations
                        .iter()
                        .filter(about)
                        .map(|r| format!("{}: {}", r.category, r.details))
                        .collect(),
                };
                statements.push(VexStatement {
                    vulnerability: VulnId::new(&vulnerability),
                    aliases: aliases.clone(),
                    products: vec![product.clone()],
                    status,
                    justification,
                    statement: Some(said.join(" ")).filter(|s| !s.is_empty()),
                    source: source.clone(),
                });
            }
        }
        Ok(statements)
    }
}
