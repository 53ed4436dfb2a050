//! proptest strategies and scripted IO for testing framing code.
