//! `Admin`: topic and offset administration against a given broker address, and route and
//! cluster queries against the name servers (`cluster`). The CLI's `admin` commands use it.
//!
//! Every call takes the request timeout of the `ClientConfig`; a failure status comes back as
//! `ClientError::Broker` naming the status (`TOPIC_EXIST_ALREADY`, `TOPIC_NOT_EXIST`…).

mod cluster;
mod groups;
mod subscription;

use std::sync::Arc;

use crate::client::config::ClientConfig;
use crate::client::connection::ConnectOptions;
use crate::client::error::ClientError;
use crate::client::pool::ConnectionPool;
use crate::client::route::{NameServers, TopicRouteInfo, query_route};
use crate::client::validate::validate_topic;
use crate::protocol::{
    CreateTopicRequest, DeleteTopicRequest, DescribeTopicRequest, DescribeTopicResponse,
    GetMaxOffsetRequest, GetMinOffsetRequest, ListTopicsRequest, Request, SearchOffsetRequest,
    TopicConfig, UpdateTopicRequest,
};

/// Administration client.
#[derive(Debug)]
pub struct Admin {
    config: ClientConfig,
    pool: Arc<ConnectionPool>,
}

impl Admin {
    /// An admin client; `config.name_servers` may be empty when only broker calls are made.
    pub fn new(config: ClientConfig) -> Admin {
        let options = ConnectOptions {
            connect_timeout: config.connect_timeout,
            request_timeout: config.request_timeout,
            handler: None,
        };
        Admin {
            config,
            pool: Arc::new(ConnectionPool::new(options)),
        }
    }

    /// An admin client using the name servers `"a:9876;b:9876"` and default timeouts.
    pub fn with_namesrv(list: &str) -> Result<Admin, ClientError> {
        let config = ClientConfig {
            name_servers: NameServers::parse(list)?,
            ..ClientConfig::default()
        };
        Ok(Admin::new(config))
    }

    pub(crate) async fn call<R: Request>(
        &self,
        broker_addr: &str,
        request: &R,
    ) -> Result<R::Response, ClientError> {
        let conn = self.pool.get(broker_addr).await?;
        conn.call(request, self.config.request_timeout).await
    }

    /// Creates a topic on the broker at `broker_addr`.
    pub async fn create_topic(
        &self,
        broker_addr: &str,
        config: TopicConfig,
    ) -> Result<(), ClientError> {
        validate_topic(&config.topic)?;
        self.call(broker_addr, &CreateTopicRequest { config })
            .await?;
        Ok(())
    }

    /// Changes an existing topic's queue counts, permission or order flag.
    pub async fn update_topic(
        &self,
        broker_addr: &str,
        config: TopicConfig,
    ) -> Result<(), ClientError> {
        validate_topic(&config.topic)?;
        self.call(broker_addr, &UpdateTopicRequest { config })
            .await?;
        Ok(())
    }

    /// Deletes a topic with its queues and offsets.
    pub async fn delete_topic(&self, broker_addr: &str, topic: &str) -> Result<(), ClientError> {
        let request = DeleteTopicRequest {
            topic: topic.to_owned(),
        };
        self.call(broker_addr, &request).await?;
        Ok(())
    }

    /// A topic's config and per-queue offsets.
    pub async fn describe_topic(
        &self,
        broker_addr: &str,
        topic: &str,
    ) -> Result<DescribeTopicResponse, ClientError> {
        let request = DescribeTopicRequest {
            topic: topic.to_owned(),
        };
        self.call(broker_addr, &request).await
    }

    /// Every topic's config, system topics included when `include_system`.
    pub async fn list_topics(
        &self,
        broker_addr: &str,
        include_system: bool,
    ) -> Result<Vec<TopicConfig>, ClientError> {
        let request = ListTopicsRequest { include_system };
        Ok(self.call(broker_addr, &request).await?.topics)
    }

    /// A topic's route from the name servers.
    pub async fn route(&self, topic: &str) -> Result<TopicRouteInfo, ClientError> {
        self.config.validate()?;
        let (route, _) = query_route(
            &self.pool,
            &self.config.name_servers,
            topic,
            false,
            self.config.request_timeout,
            0,
        )
        .await?;
        Ok(TopicRouteInfo::new(topic, route))
    }

    /// Lowest offset still stored in a queue.
    pub async fn min_offset(
        &self,
        broker_addr: &str,
        topic: &str,
        queue_id: u32,
    ) -> Result<u64, ClientError> {
        let request = GetMinOffsetRequest {
            topic: topic.to_owned(),
            queue_id,
        };
        Ok(self.call(broker_addr, &request).await?.offset)
    }

    /// Offset one past the last message of a queue.
    pub async fn max_offset(
        &self,
        broker_addr: &str,
        topic: &str,
        queue_id: u32,
    ) -> Result<u64, ClientError> {
        let request = GetMaxOffsetRequest {
            topic: topic.to_owned(),
            queue_id,
        };
        Ok(self.call(broker_addr, &request).await?.offset)
    }

    /// First offset of a queue stored at or after `timestamp_ms`.
    pub async fn search_offset(
        &self,
        broker_addr: &str,
        topic: &str,
        queue_id: u32,
        timestamp_ms: u64,
    ) -> Result<u64, ClientError> {
        let request = SearchOffsetRequest {
            topic: topic.to_owned(),
            queue_id,
            timestamp_ms,
        };
        Ok(self.call(broker_addr, &request).await?.offset)
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close_all().await;
    }
}
