//! Languages: each turns one source file into owned [`facts`](facts::Fact) the rules run on,
//! and answers where a matched value goes. Only JavaScript and TypeScript so far (`js`); a new
//! language is one module beside it producing the same facts.

pub mod facts;
pub mod js;
