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

use rapport_core::{VexProduct, VexSource, VexStatement, VexStatus, VulnId};
use serde::Deserialize;

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

/// A threat or remediation: what it says and which products it is about.
#[derive(Deserialize)]
struct Note {
    category: String,
    details: String,
    #[serde(default)]
    product_ids: Vec<String>,
}

impl Vulnerability {
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
