//! The contract: the OpenAPI document in `schemas/`, loaded once, validators compiled once.
