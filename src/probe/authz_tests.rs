//! The bodies Kubernetes writes (kubernetes-authz reference §1–2), decoded.

use super::*;

fn forbidden(answer: Option<Answer>) -> Denial {
    match answer {
        Some(Answer::Forbidden(d)) => *d,
        other => panic!("expected a denial, got {other:?}"),
    }
}

#[test]
fn apiserver_status_for_nodes_proxy() {
    let body = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
 "message":"nodes \"node1\" is forbidden: User \"system:serviceaccount:monitoring:prometheus\" cannot get resource \"nodes/proxy\" in API group \"\" at the cluster scope",
 "reason":"Forbidden","details":{"name":"node1","kind":"nodes"},"code":403}"#;
    let d = forbidden(decode(403, body, "/api/v1/nodes/node1/proxy/metrics"));
    assert_eq!(d.responder, Responder::ApiServer);
    assert_eq!(d.user, "system:serviceaccount:monitoring:prometheus");
    assert_eq!(d.scope, Scope::Cluster);
    assert_eq!(d.resource_name.as_deref(), Some("node1"));
    assert_eq!(
        d.missing,
        PolicyRule {
            api_groups: vec![String::new()],
            resources: vec!["nodes/proxy".into()],
            verbs: vec!["get".into()],
            ..Default::default()
        }
    );
    assert_eq!(
        d.missing.to_yaml(),
        r#"- {apiGroups: [""], resources: ["nodes/proxy"], verbs: ["get"]}"#
    );
    assert_eq!(d.service_account(), Some(("monitoring", "prometheus")));
    assert!(d.manifest().contains("kind: ClusterRoleBinding"));
}

#[test]
fn apiserver_messages_of_every_shape() {
    let d = apiserver_denial(r#"forbidden: User "system:anonymous" cannot get path "/metrics""#)
        .unwrap();
    assert_eq!(d.missing.non_resource_urls, vec!["/metrics"]);
    assert_eq!(d.user, "system:anonymous");
    assert_eq!(
        d.missing.to_yaml(),
        r#"- {nonResourceURLs: ["/metrics"], verbs: ["get"]}"#
    );

    let d = apiserver_denial(r#"services is forbidden: User "system:serviceaccount:brcm-prometheus1:prometheus" cannot list resource "services" in API group "" at the cluster scope"#).unwrap();
    assert_eq!(d.missing.verbs, vec!["list"]);
    assert_eq!(d.scope, Scope::Cluster);
    assert_eq!(d.resource_name, None);

    let d = apiserver_denial(r#"endpointslices.discovery.k8s.io is forbidden: User "u" cannot list resource "endpointslices" in API group "discovery.k8s.io" at the cluster scope"#).unwrap();
    assert_eq!(d.missing.api_groups, vec!["discovery.k8s.io"]);

    let d = apiserver_denial(r#"services "http:local-source-proxy:5001" is forbidden: User "adhol@vmware.com" cannot get resource "services/proxy" in API group "" in the namespace "tap-local-source-system": requires one of ["container.services.proxy"] permission(s)."#).unwrap();
    assert_eq!(
        d.scope,
        Scope::Namespace {
            namespace: "tap-local-source-system".into()
        }
    );
    assert_eq!(
        d.missing.resource_names,
        vec!["http:local-source-proxy:5001"]
    );
    assert_eq!(
        d.reason.as_deref(),
        Some(r#"requires one of ["container.services.proxy"] permission(s)."#)
    );
    assert!(d.manifest().contains("kind: RoleBinding"));
    assert!(d.manifest().contains("kind: User"));

    let d = apiserver_denial(r#"services is forbidden: User "system:serviceaccount:kube-system:kube-dns" cannot list resource "services" in API group "" at the cluster scope: RBAC: clusterrole.rbac.authorization.k8s.io "system:kube-dns" not found"#).unwrap();
    assert_eq!(
        d.reason.as_deref(),
        Some(r#"RBAC: clusterrole.rbac.authorization.k8s.io "system:kube-dns" not found"#)
    );
}

#[test]
fn kubelet_texts_before_and_after_1_32() {
    let d = forbidden(decode(
        403,
        "Forbidden (user=system:serviceaccount:monitoring:prometheus, verb=get, resource=nodes, subresource=metrics)",
        "/metrics",
    ));
    assert_eq!(d.responder, Responder::Kubelet);
    assert_eq!(d.missing.resources, vec!["nodes/metrics"]);
    assert_eq!(d.missing.verbs, vec!["get"]);
    assert!(!d.apiserver_identity);

    let d = forbidden(decode(
        403,
        "Forbidden (user=system:serviceaccount:kube-system:metrics-server, verb=get, resource=nodes, subresource(s)=[stats])\n",
        "/stats/summary",
    ));
    assert_eq!(d.missing.resources, vec!["nodes/stats"]);

    let d = forbidden(decode(
        403,
        "Forbidden (user=u, verb=get, resource=nodes, subresource(s)=[pods proxy])",
        "/pods",
    ));
    assert_eq!(d.missing.resources, vec!["nodes/pods"]);
}

#[test]
fn relayed_apiserver_identity_is_a_cluster_problem() {
    let d = forbidden(decode(
        403,
        "Forbidden (user=kube-apiserver-kubelet-client, verb=create, resource=nodes, subresource(s)=[proxy])",
        "/api/v1/nodes/n1/proxy/metrics",
    ));
    assert!(d.apiserver_identity);
    assert_eq!(d.user, "kube-apiserver-kubelet-client");
}

#[test]
fn kube_rbac_proxy_non_resource_check() {
    let d = forbidden(decode(
        403,
        "Forbidden (user=system:serviceaccount:monitoring:prometheus-k8s, verb=get, resource=, subresource=)\n",
        "/metrics",
    ));
    assert_eq!(d.responder, Responder::KubeRbacProxy);
    assert_eq!(d.missing.non_resource_urls, vec!["/metrics"]);
}

#[test]
fn unauthorized_and_other_answers() {
    let body = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#;
    assert_eq!(
        decode(401, body, "/metrics"),
        Some(Answer::Unauthorized {
            responder: Responder::ApiServer
        })
    );
    assert_eq!(
        decode(401, "Unauthorized\n", "/metrics"),
        Some(Answer::Unauthorized {
            responder: Responder::Kubelet
        })
    );
    assert_eq!(
        decode(403, "<html>nope</html>", "/metrics"),
        Some(Answer::Other {
            responder: Responder::Target
        })
    );
    assert_eq!(decode(200, "", "/metrics"), None);
}
