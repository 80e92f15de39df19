//! A file sent with a form: streamed to a temporary folder, never held whole in memory, and
//! only once the sender is known to be allowed to send it.

use std::path::PathBuf;

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request};
use rapport_core::Principal;
use tokio::io::AsyncWriteExt;

use crate::auth::{CsrfInBody, Signed};
use crate::error::ServerError;

/// How much of a refused request's body is read and dropped before the refusal is sent.
const DRAIN_LIMIT: usize = 16 * 1024 * 1024;

/// Reads and drops a refused request's body: a client still sending it when the server
/// answers and closes would see the connection reset instead of the answer.
pub async fn drain(body: Body) {
    let _ = axum::body::to_bytes(body, DRAIN_LIMIT).await;
}

/// The signed-in sender and their file, when `allowed` lets them upload; otherwise the
/// refusal, before anything is written to disk. A browser's form carries its CSRF token as
/// its first field, checked before the file is read.
pub async fn authorised_upload(
    request: Request,
    allowed: fn(&Principal) -> Result<(), ServerError>,
) -> Result<(Signed, Upload), ServerError> {
    let sender = match request.extensions().get::<Signed>().cloned() {
        Some(signed) => Ok((signed, None)),
        None => {
            request.extensions().get::<CsrfInBody>().cloned().map(|f| (f.signed, Some(f.csrf))).ok_or_else(
                || {
                    ServerError::Unauthenticated(
                        "sign in first, or send an API token (Authorization: Bearer)".into(),
                    )
                },
            )
        }
    };
    let refusal = match sender {
        Ok((signed, csrf)) => match allowed(&signed.principal) {
            Ok(()) => {
                let mut form = Multipart::from_request(request, &())
                    .await
                    .map_err(|rejection| ServerError::BadRequest(rejection.body_text()))?;
                if let Some(csrf) = csrf {
                    check_csrf_field(&mut form, &csrf).await?;
                }
                return Ok((signed, save_file_field(form).await?));
            }
            Err(refusal) => refusal,
        },
        Err(refusal) => refusal,
    };
    drain(request.into_body()).await;
    Err(refusal)
}

/// Refuses a form whose first field is not the `csrf` token expected.
async fn check_csrf_field(form: &mut Multipart, expected: &str) -> Result<(), ServerError> {
    let field = form.next_field().await.ok().flatten().ok_or_else(crate::auth::out_of_date)?;
    if field.name() != Some("csrf") {
        return Err(crate::auth::out_of_date());
    }
    let sent = text_field(field).await.map_err(|_| crate::auth::out_of_date())?;
    if !crate::auth::same_secret(sent.trim(), expected) {
        return Err(crate::auth::out_of_date());
    }
    Ok(())
}

/// A short text field's value; refused past [`TEXT_FIELD_LIMIT`] bytes.
async fn text_field(mut field: axum::extract::multipart::Field<'_>) -> Result<String, ServerError> {
    let name = field.name().unwrap_or_default().to_owned();
    let mut sent = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| ServerError::BadRequest(e.body_text()))? {
        sent.extend_from_slice(&chunk);
        if sent.len() > TEXT_FIELD_LIMIT {
            return Err(ServerError::BadRequest(format!(
                "the form's field {name:?} is longer than {TEXT_FIELD_LIMIT} bytes"
            )));
        }
    }
    String::from_utf8(sent)
        .map_err(|_| ServerError::BadRequest(format!("the form's field {name:?} is not text")))
}

/// An uploaded file on disk; its folder is deleted when this is dropped.
pub struct Upload {
    _folder: tempfile::TempDir,
    /// The name its sender gave it, without any folders.
    pub name: String,
    pub path: PathBuf,
    /// The format its sender named (a `format` field before the file), when detection
    /// cannot tell; empty means "recognise it from the content".
    pub format: Option<String>,
}

/// The longest text field read before the file.
const TEXT_FIELD_LIMIT: usize = 256;

/// The longest file name kept from an upload.
const MAX_NAME_CHARS: usize = 200;

/// The file name a browser or client sent, without folders or control characters.
fn plain_name(sent: Option<&str>) -> String {
    let last = sent.unwrap_or_default().rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = last.chars().filter(|c| !c.is_control()).take(MAX_NAME_CHARS).collect();
    match name.trim() {
        "" | "." | ".." => "upload".to_owned(),
        name => name.to_owned(),
    }
}

/// Saves the form's `file` field, and reads a `format` field sent before it; other fields
/// are ignored.
async fn save_file_field(mut form: Multipart) -> Result<Upload, ServerError> {
    let refused = |error: axum::extract::multipart::MultipartError| {
        ServerError::BadRequest(format!("the upload could not be read: {}", error.body_text()))
    };
    let mut format = None;
    while let Some(mut field) = form.next_field().await.map_err(refused)? {
        if field.name() == Some("format") {
            let named = text_field(field).await?;
            format = Some(named.trim().to_owned()).filter(|named| !named.is_empty());
            continue;
        }
        if field.name() != Some("file") {
            continue;
        }
        let name = plain_name(field.file_name());
        let folder =
            tempfile::tempdir().map_err(|e| ServerError::Internal(format!("temporary folder: {e}")))?;
        let path = folder.path().join(&name);
        let disk = |e: std::io::Error| ServerError::Internal(format!("saving the upload: {e}"));
        let mut file = tokio::fs::File::create(&path).await.map_err(disk)?;
        while let Some(chunk) = field.chunk().await.map_err(refused)? {
            file.write_all(&chunk).await.map_err(disk)?;
        }
        file.flush().await.map_err(disk)?;
        return Ok(Upload { _folder: folder, name, path, format });
    }
    Err(ServerError::BadRequest("the form has no file: send it in a field named \"file\"".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sent_name_keeps_only_its_last_part() {
        assert_eq!(plain_name(Some("C:\\scans\\trivy.json")), "trivy.json");
        assert_eq!(plain_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(plain_name(Some("..")), "upload");
        assert_eq!(plain_name(Some("a\u{0}b\nc.json")), "abc.json");
        assert_eq!(plain_name(None), "upload");
        assert_eq!(plain_name(Some(&"x".repeat(500))).len(), MAX_NAME_CHARS);
    }
}
