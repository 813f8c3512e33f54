//! The handler's integration tests, one binary over one DynamoDB Local: every tool through
//! `Handler::handle` in both action-group styles, who may do what, bad inputs, property
//! tests, and the real `bootstrap` as a Classic action group, a Gateway target and a
//! Gateway interceptor.

mod auth;
mod bad_inputs;
mod bootstrap;
mod classic;
mod gateway;
mod props;
mod support;
