//! TEMPORARY stub until the real provider module lands.
use crate::facts::TokenFacts;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ProviderProfile {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Default)]
pub struct ProviderRegistry;

impl ProviderRegistry {
    pub fn builtin() -> Self {
        ProviderRegistry
    }
    pub fn with_custom(_custom: &[ProviderProfile]) -> Result<Self, String> {
        Ok(ProviderRegistry)
    }
    pub fn facts(&self, _header: &Map<String, Value>, _claims: &Map<String, Value>) -> TokenFacts {
        TokenFacts::default()
    }
}
