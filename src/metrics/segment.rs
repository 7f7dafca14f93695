//! Customer segments from their history: one-visit, new, regular, infrequent,
//! seasonal, value bands.
