//! TLS to Postgres (rustls, through `tokio-postgres-rustls-improved`): the server's certificate
//! verified against the platform's trusted roots, or the CA certificates of a PEM file.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};
use rustls_platform_verifier::BuilderVerifierExt;
use tokio_postgres_rustls_improved::MakeRustlsConnect;

/// A connector verifying the server's certificate against `root`'s CA certificates, or the
/// platform's trusted roots when `root` is `None`. Errors say what was wrong, in a sentence.
pub(super) fn connector(root: Option<&Path>) -> Result<MakeRustlsConnect, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("set up TLS: {e}"))?;
    let config = match root {
        None => builder
            .with_platform_verifier()
            .map_err(|e| format!("load the platform's trusted certificates: {e}"))?
            .with_no_client_auth(),
        Some(path) => {
            let shown = path.display();
            let mut roots = RootCertStore::empty();
            let certificates = CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("read the CA certificates in {shown}: {e}"))?;
            for certificate in certificates {
                let certificate =
                    certificate.map_err(|e| format!("read the CA certificates in {shown}: {e}"))?;
                roots
                    .add(certificate)
                    .map_err(|e| format!("use a CA certificate of {shown}: {e}"))?;
            }
            if roots.is_empty() {
                return Err(format!(
                    "{shown} holds no CA certificate (PEM, `BEGIN CERTIFICATE`)"
                ));
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
    };
    Ok(MakeRustlsConnect::new(config))
}

/// When `error` (or a cause of it) is rustls refusing the server's certificate: a sentence
/// saying so and what to do.
pub(super) fn untrusted_certificate(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cause = Some(error);
    while let Some(error) = cause {
        // rustls' error reaches the driver inside an `io::Error`, whose `source` skips it.
        let inner = error
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map_or(error, |inner| inner as &(dyn std::error::Error + 'static));
        if let Some(rustls::Error::InvalidCertificate(problem)) =
            inner.downcast_ref::<rustls::Error>()
        {
            return Some(format!(
                "the server's certificate is not trusted ({problem:?}): it must be signed by a \
                 CA of the file sslrootcert= names (without it, by one the platform trusts) and \
                 be for the host the URL names"
            ));
        }
        cause = error.source();
    }
    None
}
