//! `PushClient`: what a `ferrocket_push_consumer_t` handle runs. The C API sets the listener
//! after `_new`, but the Rust consumer takes it when built, so the consumer is built by
//! `_start`; until then subscriptions are recorded (and checked at once by a probe consumer
//! built by `_new` with the same settings, so errors surface at the call that caused them).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use ferrocket::client::push_consumer::{
    ConsumeConcurrentlyContext, ConsumeConcurrentlyStatus, MessageListener,
};
use ferrocket::{ClientError, MessageExt, PushConsumer, Selector};

use super::listener::CListener;
use crate::config::Settings;
use crate::error::FfiError;
use crate::gate::CallbackGate;

/// A push consumer before and after `_start`.
#[derive(Debug)]
pub struct PushClient {
    settings: Settings,
    group: String,
    namesrv: String,
    gate: Arc<CallbackGate>,
    setup: Mutex<Setup>,
}

#[derive(Debug)]
struct Setup {
    listener: Option<CListener>,
    subscriptions: Vec<(String, Selector)>,
    /// Checks subscriptions before `_start` (never started).
    probe: Option<PushConsumer>,
    /// Built by the first `_start`.
    consumer: Option<Arc<PushConsumer>>,
    shut_down: bool,
}

impl PushClient {
    /// Checks the settings by building a probe consumer (nothing starts, nothing connects).
    pub fn new(settings: Settings, group: String, namesrv: String) -> Result<PushClient, FfiError> {
        let probe = settings
            .push_consumer(group.clone(), &namesrv)?
            .listener(probe_listener())
            .build()?;
        Ok(PushClient {
            settings,
            group,
            namesrv,
            gate: Arc::new(CallbackGate::default()),
            setup: Mutex::new(Setup {
                listener: None,
                subscriptions: Vec::new(),
                probe: Some(probe),
                consumer: None,
                shut_down: false,
            }),
        })
    }

    fn setup(&self) -> MutexGuard<'_, Setup> {
        self.setup.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records the listener; refused once started.
    pub fn set_listener(&self, listener: CListener) -> Result<(), FfiError> {
        let mut setup = self.setup();
        if setup.shut_down {
            return Err(ClientError::ShutDown.into());
        }
        if setup.consumer.is_some() {
            return Err(FfiError::illegal_state(
                "the listener cannot change after ferrocket_push_consumer_start",
            ));
        }
        setup.listener = Some(listener);
        Ok(())
    }

    /// Subscribes: checked and recorded before start, applied at once after.
    pub fn subscribe(&self, topic: &str, selector: Selector) -> Result<(), FfiError> {
        let mut setup = self.setup();
        if setup.shut_down {
            return Err(ClientError::ShutDown.into());
        }
        if let Some(consumer) = &setup.consumer {
            return Ok(consumer.subscribe(topic, selector)?);
        }
        if let Some(probe) = &setup.probe {
            probe.subscribe(topic, selector.clone())?;
        }
        setup.subscriptions.retain(|(t, _)| t != topic);
        setup.subscriptions.push((topic.to_owned(), selector));
        Ok(())
    }

    /// Builds the consumer (first call) and starts it; `owner` is the handle's id.
    pub async fn start(self: Arc<Self>, owner: usize) -> Result<(), FfiError> {
        let consumer = self.build_once(owner)?;
        Ok(consumer.start().await?)
    }

    fn build_once(&self, owner: usize) -> Result<Arc<PushConsumer>, FfiError> {
        let mut setup = self.setup();
        if setup.shut_down {
            return Err(ClientError::ShutDown.into());
        }
        if let Some(consumer) = &setup.consumer {
            return Ok(consumer.clone()); // the Rust consumer says what a second start means
        }
        let listener = setup.listener.ok_or_else(|| {
            FfiError::invalid(
                "no listener: call ferrocket_push_consumer_set_listener_concurrently or \
                 _set_listener_orderly before ferrocket_push_consumer_start",
            )
        })?;
        let consumer = self
            .settings
            .push_consumer(self.group.clone(), &self.namesrv)?
            .listener(listener.bind(owner, self.gate.clone()))
            .build()?;
        for (topic, selector) in &setup.subscriptions {
            consumer.subscribe(topic, selector.clone())?;
        }
        let consumer = Arc::new(consumer);
        setup.consumer = Some(consumer.clone());
        setup.probe = None;
        Ok(consumer)
    }

    /// Shuts the consumer down (if it was started), then waits for any C callback still
    /// running and keeps new ones from starting.
    pub async fn shutdown(self: Arc<Self>) {
        let consumer = {
            let mut setup = self.setup();
            setup.shut_down = true;
            setup.consumer.clone()
        };
        if let Some(consumer) = consumer {
            consumer.shutdown().await;
        }
        let gate = self.gate.clone();
        if let Err(e) = tokio::task::spawn_blocking(move || gate.close_and_wait()).await {
            tracing::error!(error = %e, "waiting for the listener callbacks failed");
        }
    }

    /// The queues this member consumes now (none before `_start`).
    pub fn assignment(&self) -> Vec<ferrocket::client::MessageQueue> {
        self.setup()
            .consumer
            .as_ref()
            .map(|c| c.assignment())
            .unwrap_or_default()
    }
}

/// The probe's listener: never called (the probe never starts).
fn probe_listener() -> MessageListener {
    MessageListener::concurrently(|_: &[MessageExt], _: &mut ConsumeConcurrentlyContext| {
        ConsumeConcurrentlyStatus::ReconsumeLater
    })
}
