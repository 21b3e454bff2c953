package dev.junction.source.file;

import io.kubernetes.client.common.KubernetesObject;

/** Identity of a Kubernetes object as the sink sees it: kind, namespace ("" when cluster-scoped), name. */
record ObjectKey(String kind, String namespace, String name) {

    static ObjectKey of(KubernetesObject object) {
        String namespace = object.getMetadata().getNamespace();
        return new ObjectKey(object.getKind(), namespace == null ? "" : namespace, object.getMetadata().getName());
    }

    @Override
    public String toString() {
        return namespace.isEmpty() ? kind + ' ' + name : kind + ' ' + namespace + '/' + name;
    }
}
