# Junction image: built with Maven, run on a slim glibc base with a Temurin 25 JRE and iproute2
# (route capture runs `ip -batch`). Not built in CI (no Docker there); keep it in step with pom.xml.

FROM maven:3.9-eclipse-temurin-25 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY src ./src
RUN mvn -B -q package -DskipTests

FROM eclipse-temurin:25-jre-noble
RUN apt-get update \
    && apt-get install -y --no-install-recommends iproute2 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/junction.jar /opt/junction/junction.jar
# Explicit GC and memory: with fewer than 2 visible CPUs the JVM would pick SerialGC, and Netty's pooled
# direct buffers must have a limit the container's memory limit (768Mi in deploy/daemonset.yaml) covers.
ENTRYPOINT ["java", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-Xms128m", "-Xmx384m", \
            "-XX:MaxDirectMemorySize=256m", "-XX:+ExitOnOutOfMemoryError", "-jar", "/opt/junction/junction.jar"]
CMD ["run"]
