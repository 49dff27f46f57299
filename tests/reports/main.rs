//! The reporters on one fixed report, without the network: golden files per format (read by
//! people: review a change to them as you would a change to the code), the SARIF and JSON
//! reports validated against their schemas, JUnit parsed back, GitHub annotations line by line.

mod fixture;
mod formats;
mod golden;
mod live;
