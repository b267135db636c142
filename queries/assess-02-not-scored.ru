# Assessment step 2, after the scores of a level: coverage markers and the cities not scored.
# Run once per level, after assess-02-first-level (level 1) or assess-02-upper-level. For the
# nodes at ?level: the marker that a node has records in a year (a child with records in it),
# which the next level reads for its coverage; and a csp:NotScored record, coverage 0, for
# every city with scores in the year (stage:city and stage:year, written by
# assess-02-first-level) but no child score at all on a node. The markers are kept in the
# run's staging graph, so no operation rescans the run graph for them.
# Parameters: (bound in every WHERE block)
#   ?run        IRI of the assessment run (read and written)
#   ?stage      IRI of the run's staging graph (read and written)
#   ?framework  IRI of the assessment framework
#   ?level      integer: the level just scored
# Writes: stage:recordsIn on the level's nodes (staging graph); csp:NotScored with csp:city, csp:refYear, csp:frameworkNode,
#   csp:coverage 0, csp:reason and prov:wasGeneratedBy (run graph).
PREFIX csp:   <https://w3id.org/cityculture/ontology/>
PREFIX prov:  <http://www.w3.org/ns/prov#>
PREFIX xsd:   <http://www.w3.org/2001/XMLSchema#>
PREFIX stage: <https://w3id.org/cityculture/stage/>

# the nodes of this level with records in a year: those with a child with records in it
INSERT { GRAPH ?stage { ?node stage:recordsIn ?year . } }
WHERE {
  GRAPH ?fg { ?node csp:inFramework ?framework ; csp:level ?level .
              ?child csp:parentNode ?node . }
  GRAPH ?stage { ?child stage:recordsIn ?year . }
} ;

# not scored, coverage 0: a city with scores in the year but no score on any child
INSERT {
  GRAPH ?run {
    ?record a csp:NotScored ;
            csp:city ?city ;
            csp:refYear ?year ;
            csp:frameworkNode ?node ;
            csp:coverage ?coverage ;
            csp:reason ?reason ;
            prov:wasGeneratedBy ?run .
  }
}
WHERE {
  GRAPH ?fg3 { ?framework csp:minimumCoverage ?minimum . }
  FILTER (0 < ?minimum)
  {
    SELECT ?node ?year (COUNT(DISTINCT ?child) AS ?selected) WHERE {
      GRAPH ?fg2 { ?node csp:inFramework ?framework ; csp:level ?level .
                   ?child csp:parentNode ?node . }
      GRAPH ?stage { ?child stage:recordsIn ?year . }
    }
    GROUP BY ?node ?year
  }
  GRAPH ?stage { ?cityYear stage:city ?city ; stage:year ?year . }
  BIND (MD5(CONCAT(STR(?node), " ", STR(?city), " ", STR(?year))) AS ?key)
  BIND (IRI(CONCAT(STR(?run), "/result/", ?key)) AS ?record)
  FILTER NOT EXISTS { GRAPH ?run { ?record csp:frameworkNode ?node } }
  BIND (xsd:decimal(0) / ?selected AS ?coverage)
  BIND (CONCAT("data for 0 of ", STR(?selected), " parts; at least ",
               STR(xsd:integer(ROUND(?minimum * 100))), " % are needed") AS ?reason)
}
