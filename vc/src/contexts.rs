//! The JSON-LD contexts this crate expands documents with, shipped inside it (see
//! `contexts/README.md` for their sources and hashes). A document naming any other context
//! is refused; nothing is fetched at run time.

/// The W3C VC Data Model 2.0 context.
pub const CREDENTIALS_V2: &str = "https://www.w3.org/ns/credentials/v2";

/// The W3C CCG citizenship vocabulary (the W3C `bbs-2023` vectors' permanent resident card).
pub const CITIZENSHIP_V4RC1: &str = "https://w3id.org/citizenship/v4rc1";

/// The W3C VC Data Model 1.1 context (the W3C `bbs-2023` feature vectors' credential).
pub const CREDENTIALS_V1: &str = "https://www.w3.org/2018/credentials/v1";

/// The W3C Data Integrity 2.0 context (with VC 1.1 documents).
pub const DATA_INTEGRITY_V2: &str = "https://w3id.org/security/data-integrity/v2";

/// The verifiable driver's licence vocabulary (the feature vectors' credential).
pub const VDL_V1: &str = "https://w3id.org/vdl/v1";

/// Its AAMVA extension.
pub const VDL_AAMVA_V1: &str = "https://w3id.org/vdl/aamva/v1";

/// The city's own context (its credential types and claims).
pub const CITYWALLET_V1: &str = "https://w3id.org/citywallet/v1";

/// Every context shipped: URL and document.
pub const SHIPPED: &[(&str, &str)] = &[
    (
        CITYWALLET_V1,
        include_str!("../contexts/citywallet-v1.jsonld"),
    ),
    (
        CREDENTIALS_V2,
        include_str!("../contexts/credentials-v2.jsonld"),
    ),
    (
        CITIZENSHIP_V4RC1,
        include_str!("../contexts/citizenship-v4rc1.jsonld"),
    ),
    (
        CREDENTIALS_V1,
        include_str!("../contexts/credentials-v1.jsonld"),
    ),
    (
        DATA_INTEGRITY_V2,
        include_str!("../contexts/data-integrity-v2.jsonld"),
    ),
    (VDL_V1, include_str!("../contexts/vdl-v1.jsonld")),
    (
        VDL_AAMVA_V1,
        include_str!("../contexts/vdl-aamva-v1.jsonld"),
    ),
];

/// The shipped document for `url`, if any.
pub fn document(url: &str) -> Option<&'static str> {
    SHIPPED.iter().find(|(u, _)| *u == url).map(|(_, d)| *d)
}
