//! The monthly report: every figure of the other commands, assembled for one reader.
