//! `Admin` calls about clusters: the brokers the name servers know, one broker's status, and
//! creating a topic on every master of a cluster (RocketMQ's `updateTopic -c`).

use crate::client::admin::Admin;
use crate::client::error::ClientError;
use crate::client::validate::validate_topic;
use crate::protocol::{
    BrokerStatus, ClusterInfo, CreateTopicRequest, GetBrokerStatusRequest, GetClusterInfoRequest,
    TopicConfig,
};

impl Admin {
    /// The brokers the name servers know (of `cluster`, or of every cluster when empty),
    /// asking the name servers in turn until one answers.
    pub async fn cluster_info(&self, cluster: &str) -> Result<ClusterInfo, ClientError> {
        self.config.validate()?;
        let request = GetClusterInfoRequest {
            cluster: cluster.to_owned(),
        };
        let mut last_error = None;
        for addr in self.config.name_servers.addrs() {
            let answer = match self.pool.get(addr).await {
                Ok(conn) => conn.call(&request, self.config.request_timeout).await,
                Err(e) => Err(e),
            };
            match answer {
                Ok(info) => return Ok(info),
                Err(e) => {
                    tracing::warn!(name_server = %addr, error = %e, "cluster query failed");
                    last_error = Some(e);
                }
            }
        }
        Err(last_error
            .unwrap_or_else(|| ClientError::InvalidArgument("no name server configured".into())))
    }

    /// A broker's identity, offsets and replication state.
    pub async fn broker_status(&self, broker_addr: &str) -> Result<BrokerStatus, ClientError> {
        self.call(broker_addr, &GetBrokerStatusRequest).await
    }

    /// Creates the topic on every master of `cluster`; returns each master's address with its
    /// outcome. Fails when the name servers know no master of the cluster.
    pub async fn create_topic_on_cluster(
        &self,
        cluster: &str,
        config: TopicConfig,
    ) -> Result<Vec<(String, Result<(), ClientError>)>, ClientError> {
        validate_topic(&config.topic)?;
        if cluster.is_empty() {
            return Err(ClientError::InvalidArgument(
                "the cluster name is empty".into(),
            ));
        }
        let info = self.cluster_info(cluster).await?;
        let masters: Vec<String> = info
            .brokers
            .into_iter()
            .filter(|b| b.broker_id == 0)
            .map(|b| b.addr)
            .collect();
        if masters.is_empty() {
            return Err(ClientError::InvalidArgument(format!(
                "cluster `{cluster}` has no master registered with the name servers [{}]",
                self.config.name_servers
            )));
        }
        let mut outcomes = Vec::with_capacity(masters.len());
        for addr in masters {
            let request = CreateTopicRequest {
                config: config.clone(),
            };
            let outcome = self.call(&addr, &request).await.map(|_| ());
            outcomes.push((addr, outcome));
        }
        Ok(outcomes)
    }
}
