//! `AbortSignal` for the Promise forms (`{ signal }` beside `{ timeout }`), as Node's own
//! APIs take it. An abort rejects the Promise with an `AbortError` (`code: 'ABORT_ERR'`,
//! `cause` = `signal.reason`) and drops the waiting operation, which the core makes
//! cancel-safe (S16): a send that had not enqueued its message never will, and a receive
//! that had not taken a message leaves it queued. An operation that completed first
//! wins: its message is delivered, never dropped for a late abort.

use std::sync::Arc;

use napi::bindgen_prelude::{
    FnArgs, Function, FunctionCallContext, JsObjectValue, Object, ObjectRef, PromiseRaw,
    ToNapiValue, Unknown,
};
use napi::{sys, Env, JsValue, ValueType};

use crate::cancel::Trigger;
use crate::error::{Code, Fail};

/// `options.signal`, checked to look like an `AbortSignal`. It holds the raw value, which
/// lives as long as the call whose options it came from (that call's handle scope).
pub struct Signal {
    env: sys::napi_env,
    value: sys::napi_value,
}

/// `addEventListener` / `removeEventListener` arguments: `('abort', listener)`.
type ListenerArgs<'a> = FnArgs<(&'a str, Function<'a, (), ()>)>;

impl Signal {
    /// Checks that `value` looks like an `AbortSignal` (a boolean `aborted`, an
    /// `addEventListener` method).
    pub fn from_value(env: sys::napi_env, value: sys::napi_value) -> Result<Self, Fail> {
        let signal = Signal { env, value };
        let obj = signal.object();
        if !matches!(obj.to_unknown().get_type(), Ok(ValueType::Object)) {
            return Err(Fail::type_error("options.signal must be an AbortSignal"));
        }
        let has = |name: &str, ty: ValueType| {
            obj.get_named_property::<Unknown>(name)
                .and_then(|v| v.get_type())
                .is_ok_and(|t| t == ty)
        };
        if has("aborted", ValueType::Boolean) && has("addEventListener", ValueType::Function) {
            Ok(signal)
        } else {
            Err(Fail::type_error("options.signal must be an AbortSignal"))
        }
    }

    fn object(&self) -> Object<'_> {
        Object::from_raw(self.env, self.value)
    }

    /// `Some(rejected Promise)` if the signal was aborted before the call: nothing is
    /// then enqueued or taken.
    pub fn already_aborted<'env, T: ToNapiValue>(
        &self,
        env: &'env Env,
    ) -> napi::Result<Option<PromiseRaw<'env, T>>> {
        if !self.object().get_named_property::<bool>("aborted")? {
            return Ok(None);
        }
        let err = abort_error(env, &self.object())?;
        Ok(Some(PromiseRaw::reject(env, err)?))
    }

    /// Adds an `abort` listener that fires the returned trigger. [`Listening::stop`]
    /// removes it again when the Promise settles, so one signal can serve any number of
    /// calls without piling up listeners.
    pub fn listen(&self, env: &Env) -> napi::Result<Listening> {
        let trigger = Arc::new(Trigger::default());
        let listener: Function<'_, (), ()> = {
            let trigger = Arc::clone(&trigger);
            env.create_function_from_closure("funnelqAbort", move |_: FunctionCallContext| {
                trigger.fire();
                Ok(())
            })?
        };
        let signal = self.object();
        let add: Function<'_, ListenerArgs, ()> = signal.get_named_property("addEventListener")?;
        add.apply(signal, ("abort", listener).into())?;
        Ok(Listening {
            trigger,
            // No leak check: if the env goes away first (a terminated worker), the
            // callback that would release them never runs and the env frees them itself.
            listener: listener.create_ref()?,
            signal: signal.create_ref::<false>()?,
        })
    }
}

/// An `abort` listener in place; see [`Signal::listen`].
pub struct Listening {
    pub trigger: Arc<Trigger>,
    listener: napi::bindgen_prelude::FunctionRef<(), ()>,
    signal: ObjectRef<false>,
}

impl Listening {
    /// Removes the listener (on the JS thread, when the Promise settles) and returns the
    /// `AbortError` to reject with if the abort won.
    pub fn stop<'env>(self, env: &'env Env, aborted: bool) -> napi::Result<Option<Unknown<'env>>> {
        let signal = self.signal.get_value(env)?;
        let remove: Function<'_, ListenerArgs, ()> =
            signal.get_named_property("removeEventListener")?;
        remove.apply(signal, ("abort", self.listener.borrow_back(env)?).into())?;
        let err = if aborted {
            Some(abort_error(env, &signal)?)
        } else {
            None
        };
        self.signal.unref(env)?;
        Ok(err)
    }
}

/// The rejection for an abort: an `Error` named `AbortError`, `code: 'ABORT_ERR'`,
/// `cause` = `signal.reason` (what Node's own APIs reject with).
fn abort_error<'env>(env: &'env Env, signal: &Object) -> napi::Result<Unknown<'env>> {
    let raw = Fail::new(Code::Aborted, "the operation was aborted").to_js(env.raw())?;
    let mut err = Object::from_raw(env.raw(), raw);
    err.set_named_property("name", "AbortError")?;
    err.set_named_property("cause", signal.get_named_property::<Unknown>("reason")?)?;
    Ok(err.to_unknown())
}
